package geo_test

import (
	"math"
	"slices"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// serviceArea is every resolution-7 cell within 10 rings of Liaocheng's centre cell: about
// 30 km across.
func serviceArea(t testing.TB) (*geo.Area, []geo.Cell) {
	t.Helper()
	c, err := geo.CellOf(liaocheng, 7)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := geo.Disk(c, 10)
	if err != nil {
		t.Fatal(err)
	}
	a, err := geo.NewArea(cells)
	if err != nil {
		t.Fatal(err)
	}
	return a, cells
}

// square returns a closed square ring of half-side d degrees around p.
func square(p fireline.Point, d float64) []fireline.Point {
	return []fireline.Point{
		{Lat: p.Lat - d, Lng: p.Lng - d}, {Lat: p.Lat - d, Lng: p.Lng + d}, {Lat: p.Lat + d, Lng: p.Lng + d},
		{Lat: p.Lat + d, Lng: p.Lng - d}, {Lat: p.Lat - d, Lng: p.Lng - d},
	}
}

func TestAreaPolygon(t *testing.T) {
	a, all := serviceArea(t)
	if a.Len() != len(all) || a.Resolution() != 7 {
		t.Fatalf("area of %d cells at resolution %d", a.Len(), a.Resolution())
	}
	centre, _ := geo.CellOf(liaocheng, 7)
	mid, _ := centre.Center()
	tests := []struct {
		name     string
		outer    []fireline.Point
		holes    [][]fireline.Point
		min, max int // how many cells
		centre   bool
	}{
		{"a block", square(mid, 0.001), nil, 1, 1, true},
		{"a district", square(liaocheng, 0.05), nil, 10, 60, true},
		{"the whole province", square(liaocheng, 3), nil, len(all), len(all), true},
		{"the whole northern hemisphere but the poles", []fireline.Point{{Lat: 1, Lng: -179}, {Lat: 1, Lng: 179}, {Lat: 80, Lng: 179}, {Lat: 80, Lng: -179}}, nil, 0, 0, false},
		{"elsewhere", square(fireline.Point{Lat: 40, Lng: 116.4}, 0.5), nil, 0, 0, false},
		{"a district with a hole", square(liaocheng, 0.1), [][]fireline.Point{square(liaocheng, 0.02)}, 20, 200, false},
		{"unclosed", square(liaocheng, 0.05)[:4], nil, 10, 60, true},
		{"crossing the antimeridian far away", []fireline.Point{{Lat: -20, Lng: 178}, {Lat: -20, Lng: -178}, {Lat: -15, Lng: -178}, {Lat: -15, Lng: 178}}, nil, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Polygon(tt.outer, tt.holes)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < tt.min || len(got) > tt.max {
				t.Fatalf("%d cells, want %d..%d", len(got), tt.min, tt.max)
			}
			if slices.Contains(got, centre) != tt.centre {
				t.Errorf("centre cell in the answer: %v, want %v", !tt.centre, tt.centre)
			}
			if !slices.IsSorted(got) {
				t.Error("cells not sorted")
			}
			for _, c := range got {
				if !a.Contains(c) {
					t.Errorf("cell %s is outside the area", c)
				}
			}
		})
	}
}

// TestAreaPolygonAcrossTheAntimeridian: an area on the antimeridian's west side is covered by a
// polygon that crosses it.
func TestAreaPolygonAcrossTheAntimeridian(t *testing.T) {
	fiji := fireline.Point{Lat: -17.8, Lng: 179.5}
	c, _ := geo.CellOf(fiji, 7)
	disk, _ := geo.Disk(c, 2)
	a, err := geo.NewArea(disk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Polygon([]fireline.Point{{Lat: -19, Lng: 178}, {Lat: -19, Lng: -178}, {Lat: -16, Lng: -178}, {Lat: -16, Lng: 178}}, nil)
	if err != nil || len(got) != len(disk) {
		t.Fatalf("%d of %d cells, %v", len(got), len(disk), err)
	}
}

func TestAreaPolygonRefuses(t *testing.T) {
	a, _ := serviceArea(t)
	for name, ring := range map[string][]fireline.Point{
		"two points":   {liaocheng, {Lat: 36.5, Lng: 116}},
		"a line":       {liaocheng, {Lat: 36.5, Lng: 116}, liaocheng},
		"NaN":          {liaocheng, {Lat: math.NaN(), Lng: 116}, {Lat: 36.5, Lng: 116.1}},
		"latitude 100": {liaocheng, {Lat: 100, Lng: 116}, {Lat: 36.5, Lng: 116.1}},
	} {
		if _, err := a.Polygon(ring, nil); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestAreaCircle(t *testing.T) {
	a, all := serviceArea(t)
	centre, _ := geo.CellOf(liaocheng, 7)
	tests := []struct {
		name     string
		radius   float64
		min, max int
	}{
		{"a point", 0, 1, 1},
		{"a block", 50, 1, 1},
		{"a town", 5000, 5, 30},
		{"the whole area", 500_000, len(all), len(all)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Circle(liaocheng, tt.radius)
			if err != nil || len(got) < tt.min || len(got) > tt.max || !slices.Contains(got, centre) {
				t.Fatalf("%d cells (%v), want %d..%d with the centre's", len(got), err, tt.min, tt.max)
			}
		})
	}
	if _, err := a.Circle(liaocheng, geo.MaxCircleMeters+1); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("huge circle: %v", err)
	}
	if _, err := a.Circle(liaocheng, math.NaN()); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("NaN radius: %v", err)
	}
	far, err := a.Circle(fireline.Point{Lat: -33.9, Lng: 151.2}, 10_000)
	if err != nil || len(far) != 0 {
		t.Errorf("Sydney: %v %v", far, err)
	}
}

func TestNewAreaRefuses(t *testing.T) {
	c7, _ := geo.CellOf(liaocheng, 7)
	c9, _ := geo.CellOf(liaocheng, 9)
	if _, err := geo.NewArea([]geo.Cell{c7, c9}); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("mixed resolutions: %v", err)
	}
	if _, err := geo.NewArea([]geo.Cell{42}); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("invalid cell: %v", err)
	}
	empty, err := geo.NewArea(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := empty.Polygon(square(liaocheng, 1), nil); err != nil || len(got) != 0 {
		t.Errorf("empty area: %v %v", got, err)
	}
}

func TestDestination(t *testing.T) {
	for _, b := range []float64{0, 90, 180, 270, 45} {
		p := geo.Destination(liaocheng, b, 10_000)
		if d := geo.DistanceMeters(liaocheng, p); math.Abs(d-10_000) > 1 {
			t.Errorf("bearing %v: %v m, want 10 km", b, d)
		}
	}
	if p := geo.Destination(fireline.Point{Lat: 0, Lng: 179.99}, 90, 10_000); p.Lng > -179 || p.Lng < -180 {
		t.Errorf("across the antimeridian: %v", p)
	}
}
