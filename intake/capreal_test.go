package intake_test

import (
	"context"
	"encoding/xml"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/intake"
)

// capRealDir is the corpus of real CAP alerts from national services (see its README): the
// shared data's cap-real folder, or FIRELINE_CAP_REAL_DIR. valid/ holds alerts as their
// services published them, which pass the OASIS schema; republished/ holds alerts as an
// aggregator republished them (the largest polygons are there), which the schema refuses for
// the order of their elements but Fireline reads all the same.
func capRealDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FIRELINE_CAP_REAL_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data", "cap-real")
	}
	if _, err := os.Stat(filepath.Join(dir, "valid")); err != nil {
		t.Skipf("real CAP corpus not found at %s (set FIRELINE_CAP_REAL_DIR)", dir)
	}
	return dir
}

func capRealFiles(t testing.TB, dir, group string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, group, "*.xml"))
	if len(files) == 0 {
		t.Fatalf("no alerts in %s/%s", dir, group)
	}
	return files
}

// TestCAPRealCorpus reads every real alert through the intake: all are accepted, whatever their
// polygons' sizes, and those that came as published pass the OASIS schema.
func TestCAPRealCorpus(t *testing.T) {
	dir := capRealDir(t)
	in := newIntake()
	senders := map[string]bool{}
	largest := 0
	for _, group := range []string{"valid", "republished"} {
		for _, f := range capRealFiles(t, dir, group) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			w, err := in.CAP(context.Background(), body)
			if err != nil {
				t.Errorf("%s refused: %v", filepath.Base(f), err)
				continue
			}
			checkWarning(t, w)
			senders[w.Sender] = true
			for _, info := range w.Infos {
				for _, a := range info.Areas {
					for k, ring := range a.Polygons {
						n := len(ring)
						if a.PolygonPoints != nil {
							if a.PolygonPoints[k] < n {
								t.Errorf("%s: polygon %d has %d points, recorded as %d", filepath.Base(f), k, n, a.PolygonPoints[k])
							}
							n = a.PolygonPoints[k]
						}
						largest = max(largest, n)
					}
				}
			}
		}
	}
	if len(senders) < 10 {
		t.Errorf("%d senders, want the corpus's 10 or more", len(senders))
	}
	if largest <= 20_000 {
		t.Errorf("largest polygon %d points, want the corpus's one of more than 20,000", largest)
	}
	t.Logf("%d senders, largest polygon %d points", len(senders), largest)

	xsd := filepath.Join("..", "..", "shared", "data", "cap", "CAP-v1.2-schema.xsd")
	if _, err := os.Stat(xsd); err != nil {
		t.Skipf("CAP schema not found at %s", xsd)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	for _, f := range capRealFiles(t, dir, "valid") {
		if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}

// largestRealAlert is the corpus's alert with the largest polygon: a US National Weather
// Service High Wind Watch whose zone outline has 34,066 points.
const largestRealAlert = "republished/noaa-2.49.0.1.840.0.9b5195e635069329b12a7c697fad5934d144784a.001.1.xml"

// localArea serves a resolution-7 area of radius k cells around p, standing in for a service
// area where an alert is.
type localArea struct{ a *geo.Area }

func (l localArea) ServiceArea(context.Context) (*geo.Area, error) { return l.a, nil }

func newLocalArea(t testing.TB, p fireline.Point, k int) *geo.Area {
	t.Helper()
	c, err := geo.CellOf(p, 7)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := geo.Disk(c, k)
	if err != nil {
		t.Fatal(err)
	}
	a, err := geo.NewArea(cells)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// originalPolygons reads the polygons of an alert as sent, by a decoder of its own.
func originalPolygons(t testing.TB, body []byte) [][]fireline.Point {
	t.Helper()
	var x struct {
		Polygons []string `xml:"info>area>polygon"`
	}
	if err := xml.Unmarshal(body, &x); err != nil {
		t.Fatal(err)
	}
	var out [][]fireline.Point
	for _, s := range x.Polygons {
		var ring []fireline.Point
		for _, f := range strings.Fields(s) {
			la, lo, _ := strings.Cut(f, ",")
			lat, err1 := strconv.ParseFloat(la, 64)
			lng, err2 := strconv.ParseFloat(lo, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("point %q", f)
			}
			ring = append(ring, fireline.Point{Lat: lat, Lng: lng})
		}
		out = append(out, ring)
	}
	return out
}

// inside is the even-odd test of p against ring, edges straight in latitude and longitude.
func inside(ring []fireline.Point, p fireline.Point) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) && p.Lng < a.Lng+(p.Lat-a.Lat)*(b.Lng-a.Lng)/(b.Lat-a.Lat) {
			in = !in
		}
	}
	return in
}

// ringDistance is the distance in metres from p to the nearest edge of ring, measured in the
// plane scaled for p's latitude (the rings here are far smaller than that matters for).
func ringDistance(ring []fireline.Point, p fireline.Point) float64 {
	const mPerDeg = geo.EarthRadiusMeters * math.Pi / 180
	kx := mPerDeg * math.Cos(p.Lat*math.Pi/180)
	best := math.Inf(1)
	for i := 1; i < len(ring); i++ {
		ax, ay := (ring[i-1].Lng-p.Lng)*kx, (ring[i-1].Lat-p.Lat)*mPerDeg
		bx, by := (ring[i].Lng-p.Lng)*kx, (ring[i].Lat-p.Lat)*mPerDeg
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = max(0, min(1, -(ax*dx+ay*dy)/l2))
		}
		best = min(best, math.Hypot(ax+t*dx, ay+t*dy))
	}
	return best
}

// TestCAPLargePolygonCoversTheRightCells reads the largest real alert with a service area
// around it and checks the cover of its 34,066-point polygon, which the intake simplifies,
// against an exact point-in-polygon test of every cell centre on the polygon as sent: over the
// cover and a ring of cells around it, the only cells that differ are boundary cells, whose
// centres lie within geo.SimplifyMeters of the original outline.
func TestCAPLargePolygonCoversTheRightCells(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(capRealDir(t), largestRealAlert))
	if err != nil {
		t.Fatal(err)
	}
	area := newLocalArea(t, fireline.Point{Lat: 55.9, Lng: -132.2}, 110)
	in := intake.New(registry{}, localArea{area}, func() time.Time { return now })
	w, err := in.CAP(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	originals := originalPolygons(t, body)
	a := w.Infos[0].Areas[0]
	if len(a.PolygonPoints) != len(originals) || len(a.Polygons) != len(originals) {
		t.Fatalf("%d polygons, %d counts, want %d", len(a.Polygons), len(a.PolygonPoints), len(originals))
	}
	big := 0
	for k := range originals {
		if a.PolygonPoints[k] != len(originals[k]) {
			t.Fatalf("polygon %d: recorded %d points, sent %d", k, a.PolygonPoints[k], len(originals[k]))
		}
		if len(originals[k]) > len(originals[big]) {
			big = k
		}
	}
	orig, simple := originals[big], a.Polygons[big]
	if len(orig) != 34_066 || len(simple) >= len(orig)/4 {
		t.Fatalf("largest polygon %d points, simplified to %d", len(orig), len(simple))
	}
	cover, err := area.Polygon(simple, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cover) < 1000 {
		t.Fatalf("cover of %d cells; the zone is thousands", len(cover))
	}
	// Every cell of the cover and a ring around it.
	checked := map[geo.Cell]bool{}
	for _, c := range cover {
		around, err := geo.Disk(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range around {
			checked[n] = slices.Contains(cover, n) || checked[n]
		}
	}
	differ, far := 0, 0.0
	for c, covered := range checked {
		centre, err := c.Center()
		if err != nil {
			t.Fatal(err)
		}
		if inside(orig, centre) == covered {
			continue
		}
		differ++
		d := ringDistance(orig, centre)
		far = max(far, d)
		if d > geo.SimplifyMeters*1.01 {
			t.Errorf("cell %s (covered %v) differs from the original polygon %.0f m inside its outline", c, covered, d)
		}
	}
	t.Logf("polygon of %d points simplified to %d; cover %d cells; %d of %d cells checked differ, all boundary cells (centre at most %.0f m from the outline)",
		len(orig), len(simple), len(cover), differ, len(checked), far)
	if differ > len(cover)/20 {
		t.Errorf("%d cells differ, more than 5%% of the cover's %d", differ, len(cover))
	}
	if !w.InServiceArea || len(w.Cells) < len(cover) {
		t.Errorf("warning in service area %v with %d cells, the polygon alone covers %d", w.InServiceArea, len(w.Cells), len(cover))
	}
}

// TestCAPLargestBodyInBoundedTime reads the most points a body within MaxCAPBytes can carry,
// all in one polygon over the service area (the worst case for the cover), in bounded time.
func TestCAPLargestBodyInBoundedTime(t *testing.T) {
	n := 138_000 // "36.456,115.985 " is 15 bytes: about as many as MaxCAPBytes holds
	var b strings.Builder
	b.WriteString(minimalAlert[:strings.Index(minimalAlert, "<polygon>")])
	b.WriteString("<polygon>")
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		b.WriteString(strconv.FormatFloat(36.456+0.15*math.Sin(a), 'f', 3, 64) + "," + strconv.FormatFloat(115.985+0.15*math.Cos(a), 'f', 3, 64) + " ")
	}
	b.WriteString("36.456,116.135</polygon></area></info></alert>")
	body := []byte(b.String())
	if len(body) > intake.MaxCAPBytes {
		t.Fatalf("body of %d bytes", len(body))
	}
	in := newIntake()
	start := time.Now()
	w, err := in.CAP(context.Background(), body)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	a := w.Infos[0].Areas[0]
	t.Logf("%d points (%d bytes) simplified to %d, %d cells, in %s", a.PolygonPoints[0], len(body), len(a.Polygons[0]), len(w.Cells), took)
	if a.PolygonPoints[0] != n+1 || len(w.Cells) < 100 {
		t.Errorf("points %v, %d cells", a.PolygonPoints, len(w.Cells))
	}
	// Loose: -race on a busy two-core machine takes about 3 s for what takes 0.12 s alone.
	if took > 30*time.Second {
		t.Errorf("took %s", took)
	}
}

// BenchmarkCAPLargestRealAlert reads the corpus's largest alert (212 polygons, 93,040 points,
// one of 34,066) with a service area around it.
func BenchmarkCAPLargestRealAlert(b *testing.B) {
	body, err := os.ReadFile(filepath.Join(capRealDir(b), largestRealAlert))
	if err != nil {
		b.Fatal(err)
	}
	in := intake.New(registry{}, localArea{newLocalArea(b, fireline.Point{Lat: 55.9, Lng: -132.2}, 110)}, func() time.Time { return now })
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		if _, err := in.CAP(context.Background(), body); err != nil {
			b.Fatal(err)
		}
	}
}
