package api

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixture is a PMTiles archive made by the real converter (see testdata/README.md): a few
// streets around Liaocheng's centre, vector tiles at zooms 0-14.
const fixture = "testdata/liaocheng-streets.pmtiles"

func TestParsePMTilesHeaderFixture(t *testing.T) {
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParsePMTilesHeader(b, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if h.TileType != pmtilesMVT || h.TileCompression != pmtilesCompressionGzip || h.InternalCompression != pmtilesCompressionGzip {
		t.Errorf("type %d, compression %d/%d: want MVT, gzip", h.TileType, h.TileCompression, h.InternalCompression)
	}
	if h.MinZoom != 0 || h.MaxZoom != 14 {
		t.Errorf("zooms %d-%d, want 0-14", h.MinZoom, h.MaxZoom)
	}
	if h.MinLon != 115.9 || h.MinLat != 36.4 || h.MaxLon != 116.06 || h.MaxLat != 36.5 {
		t.Errorf("bounds %g,%g,%g,%g, want 115.9,36.4,116.06,36.5", h.MinLon, h.MinLat, h.MaxLon, h.MaxLat)
	}
	if h.RootOffset != pmtilesHeaderLen || h.TileDataOffset+h.TileDataLength != uint64(len(b)) {
		t.Errorf("sections: root at %d, tile data %d+%d of %d bytes", h.RootOffset, h.TileDataOffset, h.TileDataLength, len(b))
	}
}

// header writes a valid PMTiles v3 header of a file of size bytes, for change to spoil it.
func header(size int, change func(b []byte)) []byte {
	b := make([]byte, pmtilesHeaderLen)
	copy(b, "PMTiles")
	b[7] = 3
	le := binary.LittleEndian
	sections := []uint64{127, 100, 227, 50, 277, 0, 277, uint64(size - 277)} // root, metadata, leaves, tiles
	for i, v := range sections {
		le.PutUint64(b[8+8*i:], v)
	}
	b[97], b[98], b[99] = pmtilesCompressionGzip, pmtilesCompressionGzip, pmtilesMVT
	b[100], b[101] = 0, 14
	deg := func(off int, v float64) { le.PutUint32(b[off:], uint32(int32(v*1e7))) }
	deg(102, 115.3)
	deg(106, 35.8)
	deg(110, 116.6)
	deg(114, 37.0)
	if change != nil {
		change(b)
	}
	return b
}

func TestParsePMTilesHeaderRefuses(t *testing.T) {
	const size = 4096
	tests := []struct {
		name string
		head []byte
		size int64
		want string
	}{
		{"short", []byte("PMTiles"), 7, "too short"},
		{"GeoJSON", append([]byte(`{"type":"FeatureCollection","features":[]}`), make([]byte, 127)...), size, "not a PMTiles archive"},
		{"MBTiles", append([]byte("SQLite format 3\x00"), make([]byte, 127)...), size, "SQLite database (MBTiles?)"},
		{"version 2", header(size, func(b []byte) { copy(b, "PM\x02\x00") }), size, "version 1 or 2"},
		{"version 4", header(size, func(b []byte) { b[7] = 4 }), size, "PMTiles version 4"},
		{"raster", header(size, func(b []byte) { b[99] = 2 }), size, "tile type PNG"},
		{"brotli tiles", header(size, func(b []byte) { b[98] = pmtilesCompressionBrotli }), size, "tile compression brotli"},
		{"zstd directories", header(size, func(b []byte) { b[97] = pmtilesCompressionZstd }), size, "internal compression zstd"},
		{"zooms", header(size, func(b []byte) { b[100], b[101] = 15, 3 }), size, "min zoom 15 above max zoom 3"},
		{"bounds", header(size, func(b []byte) {
			deg := int32(-200 * 1e7)
			binary.LittleEndian.PutUint32(b[110:], uint32(deg))
		}), size, "bounds"},
		{"root far", header(size, func(b []byte) { binary.LittleEndian.PutUint64(b[8:], 20000) }), 40000, "within the first 16384 bytes"},
		{"cut short", header(size, nil), size - 1, "tile data at 277+3819 lies beyond the end of the file (4095 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePMTilesHeader(tt.head, tt.size)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := ParsePMTilesHeader(header(size, nil), size); err != nil {
		t.Errorf("a valid header refused: %v", err)
	}
}

func TestOpenBasemapRefusesWithPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "streets.mbtiles")
	if err := os.WriteFile(path, append([]byte("SQLite format 3\x00"), make([]byte, 200)...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenBasemap(path)
	if err == nil || !strings.Contains(err.Error(), "basemap "+path+": an SQLite database") {
		t.Errorf("error %v: want the file and what it is", err)
	}
	if _, err := OpenBasemap(filepath.Join(t.TempDir(), "missing.pmtiles")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestBasemapServed(t *testing.T) {
	want, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	bm, err := OpenBasemap(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer bm.Close()
	s := New(DefaultConfig(), Deps{Store: &fakeStore{}, Basemap: bm, Logger: slog.New(slog.DiscardHandler)})
	get := func(path string, headers ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}

	var info basemapInfo
	w := get(basemapInfoPath)
	if err := json.Unmarshal(w.Body.Bytes(), &info); w.Code != 200 || err != nil {
		t.Fatalf("info: %d %s %v", w.Code, w.Body, err)
	}
	if !info.Available || info.URL != basemapTilesPath || info.MaxZoom != 14 || len(info.Bounds) != 4 || info.Bounds[0] != 115.9 {
		t.Errorf("info %+v", info)
	}

	t.Run("range", func(t *testing.T) {
		// The client's first read: the header and the root directory, in one range.
		w := get(basemapTilesPath, "Range", "bytes=0-16383")
		if w.Code != http.StatusPartialContent {
			t.Fatalf("status %d, want 206", w.Code)
		}
		end := min(16384, len(want))
		if !bytes.Equal(w.Body.Bytes(), want[:end]) {
			t.Errorf("got %d bytes, not the file's first %d", w.Body.Len(), end)
		}
		if got := w.Header().Get("Content-Type"); got != "application/vnd.pmtiles" {
			t.Errorf("Content-Type %q", got)
		}
		// A tile in the middle of the file.
		w = get(basemapTilesPath, "Range", "bytes=300-339")
		if w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), want[300:340]) {
			t.Errorf("bytes 300-339: status %d, %d bytes", w.Code, w.Body.Len())
		}
		if cr := w.Header().Get("Content-Range"); cr != "bytes 300-339/"+strconv.Itoa(len(want)) {
			t.Errorf("Content-Range %q", cr)
		}
	})
	t.Run("whole file and validators", func(t *testing.T) {
		w := get(basemapTilesPath)
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) {
			t.Fatalf("status %d, %d bytes of %d", w.Code, w.Body.Len(), len(want))
		}
		etag, mod := w.Header().Get("ETag"), w.Header().Get("Last-Modified")
		if !strings.HasPrefix(etag, `"`) || mod == "" {
			t.Fatalf("ETag %q, Last-Modified %q: want a strong tag and a date", etag, mod)
		}
		if w := get(basemapTilesPath, "If-None-Match", etag); w.Code != http.StatusNotModified {
			t.Errorf("If-None-Match the tag: status %d, want 304", w.Code)
		}
		// A range against another version of the file gets the whole current one.
		if w := get(basemapTilesPath, "Range", "bytes=0-9", "If-Range", `"other"`); w.Code != 200 || w.Body.Len() != len(want) {
			t.Errorf("If-Range another tag: status %d, %d bytes", w.Code, w.Body.Len())
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		r := httptest.NewRequest("HEAD", basemapTilesPath, nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 || w.Header().Get("Content-Length") != strconv.Itoa(len(want)) || w.Body.Len() != 0 {
			t.Errorf("HEAD: %d, length %q, body %d", w.Code, w.Header().Get("Content-Length"), w.Body.Len())
		}
	})
}

func TestNoBasemap(t *testing.T) {
	s := New(DefaultConfig(), Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)})
	r := httptest.NewRequest("GET", basemapInfoPath, nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"available":false}` {
		t.Errorf("info: %d %s", w.Code, w.Body)
	}
	r = httptest.NewRequest("GET", basemapTilesPath, nil)
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Body)
	if w.Code != 404 || !strings.Contains(string(body), "--basemap") {
		t.Errorf("tiles without a base map: %d %s", w.Code, body)
	}
}
