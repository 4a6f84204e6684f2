package api

import (
	"bytes"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fireline/fireline"
)

// The API's parsers of untrusted input, each held to its contract on any bytes: no panic, and
// either a value its consumer can trust or a caller's error. scripts/fuzz-smoke.sh runs each
// briefly in `make test`; a crasher lands in testdata/fuzz/ as a seed.

// callerError fails unless err is nil or a caller's error: 400, 413 or 415, never our own.
func callerError(t *testing.T, in any, err error) {
	t.Helper()
	switch fireline.ErrorCode(err) {
	case "", fireline.EINVALID, fireline.ETOOLARGE, errUnsupportedMedia:
	default:
		t.Fatalf("%q: %v, want a caller's error", in, err)
	}
}

// FuzzPMTilesHeader: a base map file's header either parses to sections inside the file or is
// refused; the file comes from an operator, but may be truncated or something else entirely.
func FuzzPMTilesHeader(f *testing.F) {
	f.Add(header(4096, nil), int64(4096))
	f.Add(header(4096, func(b []byte) { b[7] = 2 }), int64(4096))
	f.Add([]byte("SQLite format 3\x00"+strings.Repeat("\x00", 200)), int64(1<<20))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		h, err := ParsePMTilesHeader(b, size)
		if err != nil {
			return
		}
		for _, s := range [][2]uint64{{h.RootOffset, h.RootLength}, {h.MetadataOffset, h.MetadataLength}, {h.TileDataOffset, h.TileDataLength}} {
			if s[0]+s[1] < s[0] || s[0]+s[1] > uint64(size) {
				t.Fatalf("accepted a section %d+%d beyond a file of %d bytes", s[0], s[1], size)
			}
		}
		if h.MinZoom > h.MaxZoom {
			t.Fatalf("accepted zooms %d..%d", h.MinZoom, h.MaxZoom)
		}
	})
}

// FuzzIncidentFilter: a search's query string gives a filter the store may run, or EINVALID.
func FuzzIncidentFilter(f *testing.F) {
	for _, s := range []string{"", "open=true", "status=finished&limit=50", "from=2026-12-01&to=2026-12-01",
		"from=2026-12-01T00:00:00%2B08:00", "type=hazmat&level=3", "near=36.45,115.98&radius_m=2500", "near=NaN,Inf&radius_m=-1",
		"status=open' OR '1'='1", "limit=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := incidentFilter(q)
		callerError(t, raw, err)
		if err != nil {
			return
		}
		if err := fl.Validate(); err != nil {
			t.Fatalf("%q: gave a filter the store refuses: %+v: %v", raw, fl, err)
		}
	})
}

// FuzzRecordingName: a recording's name from the URL and its ticket. A name plainName takes
// stays inside the room's folder; a ticket is valid only as minted.
func FuzzRecordingName(f *testing.F) {
	for _, s := range []string{recName, "..", "../x", "..%2Fx", "a\x00b", ".env", "C:\\x", "/etc/passwd", "%2e%2e"} {
		f.Add(s, "1767225600.AAAA")
	}
	s := New(DefaultConfig(), Deps{Logger: slog.New(slog.DiscardHandler)})
	s.now = func() time.Time { return now }
	good := s.recordingTicket(7, recName, now.Add(time.Hour))
	f.Add(recName, good)
	f.Fuzz(func(t *testing.T, name, ticket string) {
		if plainName(name) {
			dir := filepath.Join("recordings", "incident-7")
			if p := filepath.Join(dir, name); filepath.Dir(p) != dir || filepath.Base(p) != name {
				t.Fatalf("plain name %q leaves the folder: %s", name, p)
			}
		}
		err := s.checkTicket(7, name, ticket)
		if err == nil && (name != recName || ticket != good) {
			t.Fatalf("ticket %q opens %q", ticket, name)
		}
		if err != nil && fireline.ErrorCode(err) != fireline.EFORBIDDEN {
			t.Fatalf("ticket %q: %v, want EFORBIDDEN", ticket, err)
		}
	})
}

// FuzzSDPText: a WHIP/WHEP body reaches the media server only as UTF-8 text without NUL or
// other control characters but line ends and tabs.
func FuzzSDPText(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"))
	f.Add([]byte("a=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n\x00"))
	f.Add([]byte{0xfe, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := checkSDP(body)
		callerError(t, body, err)
		if err != nil {
			return
		}
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 && c != '\r' && c != '\n' && c != '\t' || c == 0x7f }) {
			t.Fatalf("accepted %q", s)
		}
	})
}

// FuzzDecodeJSON: every JSON body the API reads goes through decodeJSONMax: one object of
// known fields within the limit, or a caller's error naming what is wrong.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, `{}{}`, `{"username":1}`, `[]`, `{"x":1}`, `{"username":"a"`, ``,
		`{"username":"` + strings.Repeat("a", 2000) + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/auth/login", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var v loginRequest
		err := decodeJSONMax(httptest.NewRecorder(), r, &v, 1024)
		callerError(t, body, err)
		if err == nil && len(body) > 1024 {
			t.Fatalf("accepted %d bytes over a limit of 1024", len(body))
		}
	})
}

// FuzzClientAddress: the rate limiter's key of a TCP peer is its IPv4 address or its IPv6
// /64, however the address is written.
func FuzzClientAddress(f *testing.F) {
	for _, s := range []string{"192.0.2.1:443", "[2001:db8::1]:443", "[::ffff:192.0.2.1]:1", "pipe", "", "[fe80::1%eth0]:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, remote string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		a := (&Server{}).clientAddress(r)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			return // not from a TCP peer: the key is the text as it is
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return
		}
		if ip = ip.Unmap(); ip.Is4() && a != ip.String() || ip.Is6() && !strings.HasSuffix(a, "::/64") && !strings.HasSuffix(a, "/64") {
			t.Fatalf("%q: key %q", remote, a)
		}
	})
}
