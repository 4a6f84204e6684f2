package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// pmtilesTool is the PMTiles converter the test runs, pinned, outside go.mod (as the Makefile
// runs staticcheck): the product reads PMTiles headers itself and never imports it.
const pmtilesTool = "github.com/protomaps/go-pmtiles@v1.31.2"

// testStreet is a named street of the test base map, and a point on it away from the others
// where the browser looks for it.
type testStreet struct {
	Name   string       `json:"name"`
	NameEn string       `json:"name_en"`
	Kind   string       `json:"kind"`
	Line   [][2]float64 `json:"-"` // lon, lat
	Probe  struct {
		Lat float64 `json:"lat"`
		Lon float64 `json:"lon"`
	} `json:"probe"`
}

// liaochengStreets are three streets around Liaocheng's centre (36.45 N, 115.98 E), named as
// the city's are and placed roughly where they run: enough for the browser to find each by name.
func liaochengStreets() []testStreet {
	s := []testStreet{
		{Name: "东昌路", NameEn: "Dongchang Road", Kind: "major_road", Line: [][2]float64{{115.940, 36.4575}, {115.985, 36.4575}, {116.030, 36.4575}}},
		{Name: "柳园路", NameEn: "Liuyuan Road", Kind: "major_road", Line: [][2]float64{{116.000, 36.420}, {116.000, 36.450}, {116.000, 36.485}}},
		{Name: "兴华路", NameEn: "Xinghua Road", Kind: "minor_road", Line: [][2]float64{{115.950, 36.4670}, {115.990, 36.4670}, {116.025, 36.4670}}},
	}
	probes := [][2]float64{{115.960, 36.4575}, {116.000, 36.435}, {116.012, 36.4670}}
	for i := range s {
		s[i].Probe.Lon, s[i].Probe.Lat = probes[i][0], probes[i][1]
	}
	return s
}

// basemapBounds are west, south, east, north of the test base map.
var basemapBounds = [4]float64{115.90, 36.40, 116.06, 36.50}

const basemapMaxZoom = 14

// writeStreetsGeoJSON writes the streets, a lake and the land under them as GeoJSON in the
// Protomaps basemap schema, each feature's "layer" naming its vector tile layer.
func writeStreetsGeoJSON(t *testing.T, path string) {
	t.Helper()
	fc := geojson.NewFeatureCollection()
	w, s, e, n := basemapBounds[0], basemapBounds[1], basemapBounds[2], basemapBounds[3]
	earth := geojson.NewFeature(orb.Polygon{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}})
	earth.Properties = geojson.Properties{"layer": "earth", "kind": "earth"}
	fc.Append(earth)
	lake := geojson.NewFeature(orb.Polygon{{{115.972, 36.438}, {115.990, 36.438}, {115.990, 36.450}, {115.972, 36.450}, {115.972, 36.438}}})
	lake.Properties = geojson.Properties{"layer": "water", "kind": "lake", "name": "东昌湖", "name:en": "Dongchang Lake", "script": "Han"}
	fc.Append(lake)
	for _, st := range liaochengStreets() {
		line := make(orb.LineString, len(st.Line))
		for i, p := range st.Line {
			line[i] = orb.Point{p[0], p[1]}
		}
		f := geojson.NewFeature(line)
		// script says which writing system name is in, as the schema's tiles do: the style shows
		// a Han name to Chinese readers and the English name first to others.
		f.Properties = geojson.Properties{"layer": "roads", "kind": st.Kind, "kind_detail": "primary", "name": st.Name, "name:en": st.NameEn, "script": "Han", "min_zoom": 5}
		if st.Kind == "minor_road" {
			f.Properties["kind_detail"] = "residential"
		}
		fc.Append(f)
	}
	b, err := json.MarshalIndent(fc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// vectorTile is one encoded (gzipped MVT) tile of the test base map, in XYZ numbering.
type vectorTile struct {
	z    maptile.Zoom
	x, y uint32
	data []byte
}

// tilesFromGeoJSON cuts the GeoJSON file into vector tiles at zooms 0…basemapMaxZoom.
func tilesFromGeoJSON(t *testing.T, path string) []vectorTile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []vectorTile
	for z := maptile.Zoom(0); z <= basemapMaxZoom; z++ {
		lo := maptile.At(orb.Point{basemapBounds[0], basemapBounds[3]}, z) // north-west
		hi := maptile.At(orb.Point{basemapBounds[2], basemapBounds[1]}, z) // south-east
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				// Projecting changes the features in place: each tile starts from the file.
				fc, err := geojson.UnmarshalFeatureCollection(raw)
				if err != nil {
					t.Fatal(err)
				}
				byLayer := map[string]*geojson.FeatureCollection{}
				for _, f := range fc.Features {
					name, _ := f.Properties["layer"].(string)
					delete(f.Properties, "layer")
					if byLayer[name] == nil {
						byLayer[name] = geojson.NewFeatureCollection()
					}
					byLayer[name].Append(f)
				}
				layers := mvt.NewLayers(byLayer)
				for _, l := range layers {
					l.Version = 2 // orb writes 1; the tiles are of spec 2.1, as MapLibre expects
				}
				layers.ProjectToTile(maptile.New(x, y, z))
				layers.Clip(mvt.MapboxGLDefaultExtentBound)
				empty := true
				for _, l := range layers {
					empty = empty && len(l.Features) == 0
				}
				if empty {
					continue
				}
				data, err := mvt.MarshalGzipped(layers)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, vectorTile{z: z, x: x, y: y, data: data})
			}
		}
	}
	return out
}

// writeMBTiles writes the tiles into an MBTiles file with Debian's sqlite3.
func writeMBTiles(t *testing.T, path string, tiles []vectorTile) {
	t.Helper()
	var sql strings.Builder
	sql.WriteString("BEGIN;\nCREATE TABLE metadata (name text, value text);\n" +
		"CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);\n" +
		"CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);\n")
	layers := `{"vector_layers":[{"id":"earth","fields":{"kind":"String"}},{"id":"water","fields":{"kind":"String","name":"String"}},` +
		`{"id":"roads","fields":{"kind":"String","kind_detail":"String","name":"String","name:en":"String","script":"String","min_zoom":"Number"}}]}`
	c := [2]float64{(basemapBounds[0] + basemapBounds[2]) / 2, (basemapBounds[1] + basemapBounds[3]) / 2}
	for _, kv := range [][2]string{
		{"name", "Liaocheng test streets"}, {"format", "pbf"}, {"type", "baselayer"},
		{"bounds", fmt.Sprintf("%g,%g,%g,%g", basemapBounds[0], basemapBounds[1], basemapBounds[2], basemapBounds[3])},
		{"center", fmt.Sprintf("%g,%g,13", c[0], c[1])},
		{"minzoom", "0"}, {"maxzoom", fmt.Sprint(basemapMaxZoom)},
		{"attribution", "test data written by e2e/basemap_test.go"}, {"json", layers},
	} {
		fmt.Fprintf(&sql, "INSERT INTO metadata VALUES ('%s', '%s');\n", kv[0], strings.ReplaceAll(kv[1], "'", "''"))
	}
	for _, tl := range tiles {
		tmsY := (uint32(1) << tl.z) - 1 - tl.y // MBTiles numbers rows from the south
		fmt.Fprintf(&sql, "INSERT INTO tiles VALUES (%d, %d, %d, X'%s');\n", tl.z, tl.x, tmsY, hex.EncodeToString(tl.data))
	}
	sql.WriteString("COMMIT;\n")
	cmd := exec.Command("sqlite3", path)
	cmd.Stdin = strings.NewReader(sql.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 %s: %v\n%s", path, err, out)
	}
}

// buildBasemap makes the test base map in dir — GeoJSON, vector tiles (orb/mvt), MBTiles
// (sqlite3), PMTiles (the real converter) — and returns the paths of the MBTiles and PMTiles.
func buildBasemap(t *testing.T, dir string) (mbtiles, pmtiles string) {
	t.Helper()
	geo := filepath.Join(dir, "liaocheng-streets.geojson")
	writeStreetsGeoJSON(t, geo)
	tiles := tilesFromGeoJSON(t, geo)
	mbtiles = filepath.Join(dir, "liaocheng-streets.mbtiles")
	writeMBTiles(t, mbtiles, tiles)
	pmtiles = filepath.Join(dir, "liaocheng-streets.pmtiles")
	tool := pmtilesConverter(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	cmd := exec.CommandContext(ctx, tool, "convert", mbtiles, pmtiles)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pmtiles convert: %v\n%s", err, out)
	}
	st, err := os.Stat(pmtiles)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("base map: %d vector tiles at zooms 0-%d, %d bytes of PMTiles (converted in %s)", len(tiles), basemapMaxZoom, st.Size(),
		time.Since(began).Round(time.Second))
	return mbtiles, pmtiles
}

// TestBasemapInBrowser builds a small PMTiles base map of a few named streets around
// Liaocheng's centre from GeoJSON it writes, starts `fireline dev --basemap` with it, and has
// the console (in Chromium) draw those streets: the map renders each street at its point with
// its name, labels in Chinese and in English, and no request leaves 127.0.0.1. A wrong file
// (the MBTiles the PMTiles was made from) is refused at start with a precise error. The
// browser side is e2e/browser/basemap.test.mjs.
func TestBasemapInBrowser(t *testing.T) {
	script := browserScript(t, "basemap.test.mjs", "sqlite3", "go")
	// Parallel: it runs after the other end-to-end tests, while which the converter was built.
	t.Parallel()
	dir := t.TempDir()
	mbtiles, pmtiles := buildBasemap(t, dir)
	artifacts := artifactsDir(t)
	if b, err := os.ReadFile(pmtiles); err == nil {
		_ = os.MkdirAll(artifacts, 0o755)
		_ = os.WriteFile(filepath.Join(artifacts, "basemap-liaocheng-streets.pmtiles"), b, 0o644)
	}

	t.Run("wrong file refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary(t), "dev", "--basemap", mbtiles, "--data", filepath.Join(dir, "refused"),
			"--http", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil || ctx.Err() != nil {
			t.Fatalf("fireline dev --basemap %s: %v, want a refusal at start\n%s", filepath.Base(mbtiles), err, stderr.String())
		}
		if want := "not a PMTiles archive: convert it"; !strings.Contains(stderr.String(), want) {
			t.Errorf("refusal %q does not say %q", stderr.String(), want)
		}
	})

	s := newStack(t)
	s.flags = []string{"--basemap", pmtiles}
	s.start()
	streets, err := json.Marshal(liaochengStreets())
	if err != nil {
		t.Fatal(err)
	}
	c := [2]float64{(basemapBounds[0] + basemapBounds[2]) / 2, (basemapBounds[1] + basemapBounds[3]) / 2}
	runScript(t, s, script, artifacts, 4*time.Minute, map[string]string{
		"FIRELINE_STREETS":        string(streets),
		"FIRELINE_BASEMAP_CENTER": fmt.Sprintf("%g,%g", round6(c[1]), round6(c[0])),
	})
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// The converter (go-pmtiles, pinned, built on its own go.mod: about 800 packages, minutes on two
// cores with a cold cache) is built in the background from TestMain when the base map test is
// among those selected, so the build overlaps the other end-to-end tests instead of adding to
// them; TestBasemapInBrowser, parallel, runs after them and waits for it.
var converter struct {
	done chan struct{}
	path string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	var dir string
	if selected("TestBasemapInBrowser") {
		var err error
		if dir, err = os.MkdirTemp("", "fireline-pmtiles-"); err == nil {
			startConverterBuild(dir)
		}
	}
	code := m.Run()
	if dir != "" {
		<-converter.done
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// selected reports whether -run (if any) selects the top-level test name.
func selected(name string) bool {
	f := flag.Lookup("test.run")
	if f == nil || f.Value.String() == "" {
		return true
	}
	top, _, _ := strings.Cut(f.Value.String(), "/")
	ok, err := regexp.MatchString(top, name)
	return err == nil && ok
}

func startConverterBuild(dir string) {
	converter.done = make(chan struct{})
	go func() {
		defer close(converter.done)
		// Outside the module: go install pkg@version builds the tool on its own go.mod.
		cmd := exec.Command("go", "install", pmtilesTool)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			converter.err = fmt.Errorf("go install %s: %v\n%s", pmtilesTool, err, out)
			return
		}
		converter.path = filepath.Join(dir, "go-pmtiles")
	}()
}

// pmtilesConverter waits for the converter's build and returns its path.
func pmtilesConverter(t *testing.T) string {
	t.Helper()
	if converter.done == nil {
		t.Fatal("the PMTiles converter was not built: TestMain builds it when TestBasemapInBrowser is selected")
	}
	began := time.Now()
	select {
	case <-converter.done:
	case <-time.After(8 * time.Minute):
		t.Fatalf("building %s took over 8 minutes", pmtilesTool)
	}
	if converter.err != nil {
		t.Fatal(converter.err)
	}
	t.Logf("PMTiles converter ready (waited %s for its build)", time.Since(began).Round(time.Second))
	return converter.path
}
