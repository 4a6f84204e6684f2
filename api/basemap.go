package api

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/fireline/fireline"
)

// The base map is a PMTiles archive (https://github.com/protomaps/PMTiles, spec v3) of vector
// tiles in the Protomaps basemap schema, named by --basemap. The pages read it themselves with
// the PMTiles reference client over HTTP range requests, so the server only serves the file's
// bytes (http.ServeContent over the open file: ranges, ETag, Last-Modified) and a small JSON
// saying whether there is one and what it covers. Nothing is read into memory but the header,
// which is parsed here, by the spec, rather than with go-pmtiles: its package brings hundreds
// of cloud-storage packages with it.

// Paths of the base map, outside /api/v1: map data is public, like the pages' assets.
const (
	basemapInfoPath  = "/basemap/info.json"
	basemapTilesPath = "/basemap/tiles.pmtiles"
)

// pmtilesHeaderLen is the size of a PMTiles v3 header; pmtilesRootWithin is how far into the
// file the root directory must end (spec v3, chapter 2), so a client can read both at once.
const (
	pmtilesHeaderLen  = 127
	pmtilesRootWithin = 16384
)

// PMTiles tile types and compressions (spec v3, chapter 3).
const (
	pmtilesMVT = 1

	pmtilesCompressionUnknown = 0
	pmtilesCompressionNone    = 1
	pmtilesCompressionGzip    = 2
	pmtilesCompressionBrotli  = 3
	pmtilesCompressionZstd    = 4
)

// PMTilesHeader is the fixed header of a PMTiles v3 archive: where its sections are and what
// its tiles cover. Offsets and lengths are in bytes from the start of the file.
type PMTilesHeader struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	TileDataOffset, TileDataLength uint64
	// InternalCompression is how the directories and metadata are compressed, TileCompression
	// the tiles: 1 none, 2 gzip, 3 brotli, 4 zstd.
	InternalCompression, TileCompression uint8
	// TileType is 1 for Mapbox Vector Tiles, the only type a base map may have.
	TileType         uint8
	MinZoom, MaxZoom uint8
	// MinLon, MinLat, MaxLon and MaxLat bound the tiles (WGS-84 degrees).
	MinLon, MinLat, MaxLon, MaxLat float64
	// CenterZoom, CenterLon and CenterLat are where a viewer starts.
	CenterZoom           uint8
	CenterLon, CenterLat float64
}

// ParsePMTilesHeader reads the header at the start of b, the first bytes of a file of size bytes,
// and checks that it is a PMTiles v3 archive of vector tiles that a browser can decompress,
// whose sections lie within the file.
func ParsePMTilesHeader(b []byte, size int64) (PMTilesHeader, error) {
	if len(b) < pmtilesHeaderLen {
		return PMTilesHeader{}, fmt.Errorf("%d bytes: too short for a PMTiles header (%d bytes)", len(b), pmtilesHeaderLen)
	}
	if string(b[:7]) != "PMTiles" {
		if string(b[:2]) == "PM" {
			return PMTilesHeader{}, errors.New("a PMTiles archive of version 1 or 2: convert it to version 3 with `pmtiles convert`")
		}
		if string(b[:16]) == "SQLite format 3\x00" {
			return PMTilesHeader{}, errors.New("an SQLite database (MBTiles?), not a PMTiles archive: convert it with `pmtiles convert IN.mbtiles OUT.pmtiles`")
		}
		return PMTilesHeader{}, errors.New("not a PMTiles archive (no PMTiles magic number)")
	}
	if v := b[7]; v != 3 {
		return PMTilesHeader{}, fmt.Errorf("PMTiles version %d: want version 3", v)
	}
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	deg := func(off int) float64 { return float64(int32(binary.LittleEndian.Uint32(b[off:]))) / 1e7 }
	h := PMTilesHeader{
		RootOffset: u64(8), RootLength: u64(16),
		MetadataOffset: u64(24), MetadataLength: u64(32),
		LeafOffset: u64(40), LeafLength: u64(48),
		TileDataOffset: u64(56), TileDataLength: u64(64),
		InternalCompression: b[97], TileCompression: b[98], TileType: b[99],
		MinZoom: b[100], MaxZoom: b[101],
		MinLon: deg(102), MinLat: deg(106), MaxLon: deg(110), MaxLat: deg(114),
		CenterZoom: b[118], CenterLon: deg(119), CenterLat: deg(123),
	}
	return h, h.validate(size)
}

func (h PMTilesHeader) validate(size int64) error {
	if h.TileType != pmtilesMVT {
		return fmt.Errorf("tile type %s: a base map must hold vector tiles (MVT, type 1)", tileTypeName(h.TileType))
	}
	// The pages' PMTiles client decompresses with the browser's DecompressionStream: gzip only.
	for _, c := range []struct {
		what string
		v    uint8
	}{{"internal", h.InternalCompression}, {"tile", h.TileCompression}} {
		if c.v != pmtilesCompressionNone && c.v != pmtilesCompressionGzip {
			return fmt.Errorf("%s compression %s: the browser reads only gzip or uncompressed archives (write it with gzip)", c.what, compressionName(c.v))
		}
	}
	if h.MinZoom > h.MaxZoom {
		return fmt.Errorf("min zoom %d above max zoom %d", h.MinZoom, h.MaxZoom)
	}
	if h.MinLon < -180 || h.MaxLon > 180 || h.MinLat < -90 || h.MaxLat > 90 || h.MinLon > h.MaxLon || h.MinLat > h.MaxLat {
		return fmt.Errorf("bounds %g,%g,%g,%g are not west,south,east,north in degrees", h.MinLon, h.MinLat, h.MaxLon, h.MaxLat)
	}
	if h.RootLength == 0 || h.RootOffset < pmtilesHeaderLen || h.RootOffset+h.RootLength > pmtilesRootWithin {
		return fmt.Errorf("root directory at %d+%d: it must follow the header and end within the first %d bytes", h.RootOffset, h.RootLength, pmtilesRootWithin)
	}
	for _, s := range []struct {
		what        string
		off, length uint64
	}{
		{"root directory", h.RootOffset, h.RootLength},
		{"metadata", h.MetadataOffset, h.MetadataLength},
		{"leaf directories", h.LeafOffset, h.LeafLength},
		{"tile data", h.TileDataOffset, h.TileDataLength},
	} {
		if s.off > uint64(size) || s.length > uint64(size)-s.off {
			return fmt.Errorf("%s at %d+%d lies beyond the end of the file (%d bytes): the file is cut short", s.what, s.off, s.length, size)
		}
	}
	return nil
}

func tileTypeName(t uint8) string {
	names := []string{"unknown (0)", "MVT", "PNG", "JPEG", "WebP", "AVIF", "MLT"}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("%d", t)
}

func compressionName(c uint8) string {
	switch c {
	case pmtilesCompressionUnknown:
		return "unknown (0)"
	case pmtilesCompressionBrotli:
		return "brotli"
	case pmtilesCompressionZstd:
		return "zstd"
	}
	return fmt.Sprintf("%d", c)
}

// Basemap is an open PMTiles archive served to the pages. Requests read it concurrently with
// ReadAt, which an *os.File allows.
type Basemap struct {
	f      *os.File
	size   int64
	mod    time.Time
	etag   string
	header PMTilesHeader
}

// OpenBasemap opens the PMTiles archive at path and checks its header; the error says precisely
// what is wrong with a file that is not a v3 archive of vector tiles.
func OpenBasemap(path string) (*Basemap, error) {
	f, err := os.Open(path) // #nosec G304 -- the operator's --basemap file
	if err != nil {
		return nil, fmt.Errorf("basemap: %w", err)
	}
	b, err := newBasemap(f)
	if err != nil {
		_ = f.Close() // read-only, and the format error is the one to report
		return nil, fmt.Errorf("basemap %s: %w", path, err)
	}
	return b, nil
}

func newBasemap(f *os.File) (*Basemap, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	head := make([]byte, pmtilesHeaderLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	h, err := ParsePMTilesHeader(head[:n], st.Size())
	if err != nil {
		return nil, err
	}
	// The tag changes whenever the file does; the client starts over when it sees it change.
	etag := fmt.Sprintf(`"%x-%x"`, st.Size(), st.ModTime().UnixNano())
	return &Basemap{f: f, size: st.Size(), mod: st.ModTime(), etag: etag, header: h}, nil
}

// Header is the archive's header.
func (b *Basemap) Header() PMTilesHeader { return b.header }

// Close closes the file.
func (b *Basemap) Close() error { return b.f.Close() }

// basemapInfo is GET /basemap/info.json: whether there is a base map, where to read it and
// what it covers, so a page knows before it asks for a tile.
type basemapInfo struct {
	Available bool   `json:"available"`
	URL       string `json:"url"`
	MinZoom   uint8  `json:"min_zoom"`
	MaxZoom   uint8  `json:"max_zoom"`
	// Bounds are west, south, east, north (WGS-84 degrees).
	Bounds []float64 `json:"bounds"`
	// Center is longitude, latitude, zoom.
	Center []float64 `json:"center"`
}

func (s *Server) basemapInfo(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	b := s.basemap
	if b == nil {
		writeJSON(w, http.StatusOK, map[string]bool{"available": false})
		return
	}
	h := b.header
	writeJSON(w, http.StatusOK, basemapInfo{
		Available: true, URL: basemapTilesPath, MinZoom: h.MinZoom, MaxZoom: h.MaxZoom,
		Bounds: []float64{h.MinLon, h.MinLat, h.MaxLon, h.MaxLat},
		Center: []float64{h.CenterLon, h.CenterLat, float64(h.CenterZoom)},
	})
}

// basemapTiles serves the archive's bytes: whole, or the ranges the client asks for.
func (s *Server) basemapTiles(w http.ResponseWriter, r *http.Request) {
	b := s.basemap
	if b == nil {
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "no base map: the server was started without --basemap"))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.pmtiles")
	w.Header().Set("ETag", b.etag)
	// Revalidated with the ETag on every read, so a replaced file is never mixed with the old.
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", b.mod, io.NewSectionReader(b.f, 0, b.size))
}
