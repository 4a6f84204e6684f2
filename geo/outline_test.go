package geo_test

import (
	"slices"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// TestDiskOutline: the outline of the disk around a point is one closed ring that encloses
// every point within the radius asked and, filled again, gives back the disk's own cells.
func TestDiskOutline(t *testing.T) {
	for _, radius := range []float64{geo.MinDiskRadius, 500, 2_000, 7_500, geo.MaxDiskRadius} {
		cells, err := geo.DiskAround(liaocheng, radius)
		if err != nil {
			t.Fatalf("radius %v: %v", radius, err)
		}
		ring, err := geo.Outline(cells)
		if err != nil {
			t.Fatalf("radius %v: outline: %v", radius, err)
		}
		if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
			t.Fatalf("radius %v: ring of %d points, first %v last %v: want closed, at least 4", radius, len(ring), ring[0], ring[len(ring)-1])
		}
		// Every vertex lies beyond the radius, so the circle of the radius is inside.
		for _, p := range ring {
			if d := geo.DistanceMeters(liaocheng, p); d < radius {
				t.Errorf("radius %v: vertex %v only %.0f m from the centre", radius, p, d)
			}
		}
		res := cells[0].Resolution()
		area, err := geo.NewArea(cells)
		if err != nil {
			t.Fatal(err)
		}
		back, err := area.Polygon(ring, nil)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(cells)
		if !slices.Equal(back, cells) {
			t.Errorf("radius %v: the outline fills %d of the disk's %d cells", radius, len(back), len(cells))
		}
		// The point's own cell at the disk's resolution is the disk's centre.
		if own, _ := geo.CellOf(liaocheng, res); !slices.Contains(cells, own) {
			t.Errorf("radius %v: the disk leaves out the point's own cell", radius)
		}
		t.Logf("radius %5.0f m: resolution %d, %d cells, %d points", radius, res, len(cells), len(ring))
	}
}

func TestOutlineRefuses(t *testing.T) {
	a, _ := geo.CellOf(liaocheng, geo.Resolution)
	far, _ := geo.CellOf(fireline.Point{Lat: 36.6, Lng: 116.2}, geo.Resolution)
	coarse, _ := geo.CellOf(liaocheng, 7)
	for name, cells := range map[string][]geo.Cell{
		"none":              nil,
		"two pieces":        {a, far},
		"mixed resolutions": {a, coarse},
		"not a cell":        {geo.Cell(12345)},
	} {
		if _, err := geo.Outline(cells); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	for _, r := range []float64{0, 99, 20_001} {
		if _, err := geo.DiskAround(liaocheng, r); fireline.ErrorCode(err) != fireline.EINVALID {
			t.Errorf("radius %v: %v, want EINVALID", r, err)
		}
	}
}
