package intake_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/intake"
)

// now is the clock of every adapter test.
var now = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

var retired = now.Add(-24 * time.Hour)

// registry is a fixed panel, pole and premises registry.
type registry struct{}

var (
	chemWorks = fireline.Premise{ID: "P-CHEM", Name: "Chemical Works", Kind: "chemical_plant", Address: "9 River Rd",
		Point: fireline.Point{Lat: 36.44, Lng: 115.97}, Hazards: []string{"chlorine", "LPG"}, PlanType: fireline.TypeIndustrialFire, PlanLevel: 2}
	library = fireline.Premise{ID: "P-LIB", Name: "Library", Kind: "public", Address: "1 Book St", Point: fireline.Point{Lat: 36.45, Lng: 115.99}}
	oldMill = fireline.Premise{ID: "P-OLD", Name: "Old Mill", Point: fireline.Point{Lat: 36.46, Lng: 115.99}, RetiredAt: &retired}
)

func (registry) Device(_ context.Context, id string) (fireline.Device, error) {
	switch id {
	case "FAP-CHEM-1":
		return fireline.Device{ID: id, PremiseID: chemWorks.ID, Building: "Plant B", Floor: "1", Point: chemWorks.Point}, nil
	case "FAP-SHOP-1":
		return fireline.Device{ID: id, Building: "Corner shop", Point: fireline.Point{Lat: 36.451, Lng: 115.981}}, nil
	}
	return fireline.Device{}, fireline.Errorf(fireline.ENOTFOUND, "device %s does not exist", id)
}

func (registry) Pole(_ context.Context, id string) (fireline.Pole, error) {
	if id == "LP-DCF-1-001" {
		return fireline.Pole{ID: id, Point: fireline.Point{Lat: 36.4575, Lng: 115.966}, Address: "Dongchang West Road 12"}, nil
	}
	return fireline.Pole{}, fireline.Errorf(fireline.ENOTFOUND, "pole %s does not exist", id)
}

func (registry) Premise(_ context.Context, id string) (fireline.Premise, error) {
	for _, p := range []fireline.Premise{chemWorks, library, oldMill} {
		if p.ID == id {
			return p, nil
		}
	}
	return fireline.Premise{}, fireline.Errorf(fireline.ENOTFOUND, "premises %s does not exist", id)
}

// serviceArea is every resolution-7 cell within 10 rings of Liaocheng's centre.
type serviceArea struct{}

var (
	areaOnce sync.Once
	area     *geo.Area
)

func (serviceArea) ServiceArea(context.Context) (*geo.Area, error) {
	areaOnce.Do(func() {
		c, err := geo.CellOf(fireline.Point{Lat: 36.456, Lng: 115.985}, 7)
		if err != nil {
			panic(err)
		}
		cells, err := geo.Disk(c, 10)
		if err != nil {
			panic(err)
		}
		if area, err = geo.NewArea(cells); err != nil {
			panic(err)
		}
	})
	return area, nil
}

func newIntake() *intake.Intake {
	return intake.New(registry{}, serviceArea{}, func() time.Time { return now })
}

// adapterCase is one payload and what the adapter must answer: code "" for an alarm, else the
// error code and a part of the message that names the field.
type adapterCase struct {
	name   string
	body   string
	code   string
	detail string
}

// run checks each case against adapt and, for those accepted, check.
func run(t *testing.T, adapt func(context.Context, []byte) (fireline.Alarm, error), cases []adapterCase, check func(*testing.T, string, fireline.Alarm)) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			a, err := adapt(context.Background(), []byte(tt.body))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if err := a.Validate(now); err != nil {
					t.Fatalf("adapter let through an invalid alarm: %v", err)
				}
				if check != nil {
					check(t, tt.name, a)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %q as %+v", tt.body, a)
			}
			if fireline.ErrorCode(err) != tt.code || !strings.Contains(fireline.ErrorMessage(err), tt.detail) {
				t.Fatalf("%s %q, want %s containing %q", fireline.ErrorCode(err), fireline.ErrorMessage(err), tt.code, tt.detail)
			}
		})
	}
}

// hostile are payloads every JSON adapter must refuse before looking at any field.
func hostile() []adapterCase {
	return []adapterCase{
		{"empty", ``, fireline.EINVALID, "body: empty"},
		{"white space", " \n\t", fireline.EINVALID, "body: empty"},
		{"not JSON", `call_id=1&type=fire`, fireline.EINVALID, "malformed JSON"},
		{"an array", `[1,2,3]`, fireline.EINVALID, "a JSON object is required"},
		{"a string", `"fire"`, fireline.EINVALID, "a JSON object is required"},
		{"truncated", `{"a":`, fireline.EINVALID, "truncated"},
		{"trailing data", `{}{}`, fireline.EINVALID, "more data"},
		{"invalid UTF-8", "{\"text\":\"\xff\xfe\"}", fireline.EINVALID, "not valid UTF-8"},
		{"oversized", `{"x":"` + strings.Repeat("a", intake.MaxJSONBytes) + `"}`, fireline.ETOOLARGE, "larger than 65536 bytes"},
		{"deeply nested junk", strings.Repeat(`{"a":`, 10500) + `1` + strings.Repeat(`}`, 10500), fireline.EINVALID, "body:"},
		{"unknown field", `{"script":"<script>alert(1)</script>"}`, fireline.EINVALID, `unknown field "script"`},
	}
}
