package geo_test

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// liaocheng is the centre of the sample city.
var liaocheng = fireline.Point{Lat: 36.4560, Lng: 115.9850}

// pentagon9 is the resolution-9 centre child of base cell 4, one of the twelve pentagons.
const pentagon9 = "89080000003ffff"

func TestCellOf(t *testing.T) {
	tests := []struct {
		name string
		p    fireline.Point
		res  int
		code string
	}{
		{"liaocheng", liaocheng, geo.Resolution, ""},
		{"resolution 0", liaocheng, 0, ""},
		{"resolution 15", liaocheng, 15, ""},
		{"pole", fireline.Point{Lat: 90, Lng: 0}, geo.Resolution, ""},
		{"antimeridian", fireline.Point{Lat: -16.5, Lng: 180}, geo.Resolution, ""},
		{"no fix", fireline.Point{}, geo.Resolution, fireline.EINVALID},
		{"lat out of range", fireline.Point{Lat: 91, Lng: 1}, geo.Resolution, fireline.EINVALID},
		{"lng out of range", fireline.Point{Lat: 1, Lng: -181}, geo.Resolution, fireline.EINVALID},
		{"NaN", fireline.Point{Lat: math.NaN(), Lng: 1}, geo.Resolution, fireline.EINVALID},
		{"infinite", fireline.Point{Lat: 1, Lng: math.Inf(1)}, geo.Resolution, fireline.EINVALID},
		{"negative resolution", liaocheng, -1, fireline.EINVALID},
		{"resolution 16", liaocheng, 16, fireline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := geo.CellOf(tt.p, tt.res)
			if got := fireline.ErrorCode(err); got != tt.code {
				t.Fatalf("CellOf(%v, %d) error %v, want code %q", tt.p, tt.res, err, tt.code)
			}
			if err != nil {
				return
			}
			if !c.Valid() || c.Resolution() != tt.res {
				t.Errorf("CellOf(%v, %d) = %s (valid %v, resolution %d)", tt.p, tt.res, c, c.Valid(), c.Resolution())
			}
		})
	}
}

func TestCellHexRoundTrip(t *testing.T) {
	hex := regexp.MustCompile(`^[0-9a-f]{15}$`)
	points := []fireline.Point{liaocheng, {Lat: 36.8380, Lng: 115.7050}, {Lat: -33.86, Lng: 151.21}, {Lat: 64.4, Lng: -21.9}}
	for _, p := range points {
		for _, res := range []int{5, 7, geo.Resolution, 12} {
			c, err := geo.CellOf(p, res)
			if err != nil {
				t.Fatal(err)
			}
			s := c.String()
			if !hex.MatchString(s) {
				t.Errorf("%v res %d: String() = %q, want 15 lowercase hex digits", p, res, s)
			}
			for _, in := range []string{s, "0x" + s, "0X" + s} {
				back, err := geo.ParseCell(in)
				if err != nil || back != c {
					t.Errorf("ParseCell(%q) = %s, %v; want %s", in, back, err, c)
				}
			}
			b, err := json.Marshal(map[string]geo.Cell{"cell": c})
			if err != nil || string(b) != `{"cell":"`+s+`"}` {
				t.Errorf("json = %s, %v; want the cell as a hex string", b, err)
			}
			var m map[string]geo.Cell
			if err := json.Unmarshal(b, &m); err != nil || m["cell"] != c {
				t.Errorf("json round trip = %v, %v; want %s", m, err, c)
			}
		}
	}
}

func TestParseCellInvalid(t *testing.T) {
	for _, s := range []string{"", "0x", "zz", "0", "ffffffffffffffff", "8931aa0a693ffff0", "8931aa0a693fffg", " 8931aa0a693ffff"} {
		t.Run(s, func(t *testing.T) {
			if c, err := geo.ParseCell(s); fireline.ErrorCode(err) != fireline.EINVALID {
				t.Errorf("ParseCell(%q) = %s, %v; want an invalid error", s, c, err)
			}
		})
	}
	var c geo.Cell
	if err := json.Unmarshal([]byte(`"nonsense"`), &c); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("unmarshal of a bad cell: %v, want an invalid error", err)
	}
}

func TestParent(t *testing.T) {
	c, err := geo.CellOf(liaocheng, geo.Resolution)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []int{9, 7, 5, 0} {
		p, err := c.Parent(res)
		if err != nil {
			t.Fatalf("Parent(%d): %v", res, err)
		}
		want, err := geo.CellOf(liaocheng, res)
		if err != nil {
			t.Fatal(err)
		}
		if p != want {
			t.Errorf("Parent(%d) = %s, want %s", res, p, want)
		}
	}
	for _, res := range []int{10, 16, -1} {
		if _, err := c.Parent(res); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("Parent(%d) error %v, want an invalid error", res, err)
		}
	}
	if _, err := geo.Cell(12345).Parent(5); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("parent of an invalid cell: %v, want an invalid error", err)
	}
}

func TestCenterAndBoundary(t *testing.T) {
	c, err := geo.CellOf(liaocheng, geo.Resolution)
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := c.Center()
	if err != nil {
		t.Fatal(err)
	}
	if back, err := geo.CellOf(ctr, geo.Resolution); err != nil || back != c {
		t.Errorf("cell of the centre = %s, %v; want %s", back, err, c)
	}
	if d := geo.DistanceMeters(ctr, liaocheng); d > 250 {
		t.Errorf("centre is %.0f m from a point inside the cell", d)
	}
	b, err := c.Boundary()
	if err != nil || len(b) != 6 {
		t.Fatalf("Boundary() = %v, %v; want 6 vertices", b, err)
	}
	// H3's average resolution-9 hexagon is 0.1053 km² and resolution 7's 5.16 km²; cell areas
	// vary by up to a factor of two over the globe (Liaocheng's are about three quarters of the
	// average), and each resolution has a seventh of its parent's area.
	area := map[int]float64{}
	for res, avg := range map[int]float64{9: 105_332.5, 7: 5_161_293.4} {
		c, err := geo.CellOf(liaocheng, res)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.AreaM2()
		if err != nil || a < avg/2 || a > 2*avg {
			t.Errorf("resolution %d: area %v m², %v; want within a factor 2 of %v", res, a, err, avg)
		}
		area[res] = a
	}
	if r := area[7] / area[9]; r < 45 || r > 53 {
		t.Errorf("resolution 7 cell is %.1f times a resolution 9 cell, want about 49", r)
	}
}

func TestNeighbourCells(t *testing.T) {
	tests := []struct {
		name string
		p    fireline.Point
		k    int
		want int
		code string
	}{
		{"own cell", liaocheng, 0, 1, ""},
		{"one ring", liaocheng, 1, 7, ""},
		{"two rings", liaocheng, 2, 19, ""},
		{"max", liaocheng, geo.MaxNeighbourK, 331, ""},
		{"negative", liaocheng, -1, 0, fireline.EINVALID},
		{"too far", liaocheng, geo.MaxNeighbourK + 1, 0, fireline.EINVALID},
		{"bad point", fireline.Point{Lat: 100, Lng: 1}, 1, 0, fireline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := geo.NeighbourCells(tt.p, tt.k)
			if code := fireline.ErrorCode(err); code != tt.code {
				t.Fatalf("error %v, want code %q", err, tt.code)
			}
			if err != nil {
				return
			}
			if len(got) != tt.want {
				t.Errorf("%d cells, want %d", len(got), tt.want)
			}
			own, _ := geo.CellOf(tt.p, geo.Resolution)
			if !slices.Contains(got, own.String()) {
				t.Errorf("own cell %s missing from %v", own, got)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
				t.Errorf("duplicate cells in %v", got)
			}
		})
	}
}

// TestDiskRing checks cell counts on a hexagon and a pentagon, and that every ring is exactly
// its disk minus the disk one step smaller, also where the grid bends around a pentagon.
func TestDiskRing(t *testing.T) {
	hexagon, err := geo.CellOf(liaocheng, geo.Resolution)
	if err != nil {
		t.Fatal(err)
	}
	pent, err := geo.ParseCell(pentagon9)
	if err != nil {
		t.Fatal(err)
	}
	if !pent.Pentagon() || hexagon.Pentagon() {
		t.Fatalf("%s pentagon %v, %s pentagon %v", pent, pent.Pentagon(), hexagon, hexagon.Pentagon())
	}
	near, err := geo.Ring(pent, 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		c         geo.Cell
		disk1     int // cells in Disk(c, 1)
		ring1     int // cells in Ring(c, 1)
		checkRing bool
	}{
		{"hexagon", hexagon, 7, 6, true},
		{"pentagon", pent, 6, 5, true},
		{"hexagon beside a pentagon", near[0], 7, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, err := geo.Disk(tt.c, 1); err != nil || len(d) != tt.disk1 {
				t.Errorf("Disk(1) = %d cells, %v; want %d", len(d), err, tt.disk1)
			}
			if r, err := geo.Ring(tt.c, 1); err != nil || len(r) != tt.ring1 {
				t.Errorf("Ring(1) = %d cells, %v; want %d", len(r), err, tt.ring1)
			}
			if r, err := geo.Ring(tt.c, 0); err != nil || !slices.Equal(r, []geo.Cell{tt.c}) {
				t.Errorf("Ring(0) = %v, %v; want the cell itself", r, err)
			}
			prev := map[geo.Cell]bool{tt.c: true}
			for k := 1; k <= 6; k++ {
				disk, err := geo.Disk(tt.c, k)
				if err != nil {
					t.Fatalf("Disk(%d): %v", k, err)
				}
				ring, err := geo.Ring(tt.c, k)
				if err != nil {
					t.Fatalf("Ring(%d): %v", k, err)
				}
				var want []geo.Cell
				for _, c := range disk {
					if !prev[c] {
						want = append(want, c)
					}
				}
				slices.Sort(want)
				slices.Sort(ring)
				if !slices.Equal(ring, want) {
					t.Errorf("Ring(%d) = %d cells, disk difference %d", k, len(ring), len(want))
				}
				for _, c := range ring {
					if d, err := geo.GridDistance(tt.c, c); err == nil && d != k {
						t.Errorf("ring %d cell %s at grid distance %d", k, c, d)
					}
				}
				for _, c := range disk {
					prev[c] = true
				}
			}
		})
	}
	for _, k := range []int{-1, 1001} {
		if _, err := geo.Disk(hexagon, k); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("Disk(%d) error %v, want an invalid error", k, err)
		}
		if _, err := geo.Ring(hexagon, k); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("Ring(%d) error %v, want an invalid error", k, err)
		}
	}
	if _, err := geo.Ring(geo.Cell(1), 1); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("ring of an invalid cell: %v, want an invalid error", err)
	}
}
