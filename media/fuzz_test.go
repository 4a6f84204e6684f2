package media

import (
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// The media server's parsers of what browsers send, held to their contract on any text: no
// panic, and either a value the session can use or EINVALID. scripts/fuzz-smoke.sh runs each
// briefly in `make test`.

// FuzzSDPFrag: a trickle PATCH body (RFC 8840) parses to candidates of known lines or is
// refused.
func FuzzSDPFrag(f *testing.F) {
	for _, s := range []string{
		"a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host\r\n",
		"a=end-of-candidates\r\n", "v=0\r\n", "", "\x00", "a=candidate:" + strings.Repeat("x", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fr, err := parseSDPFrag(body)
		if err != nil {
			if fireline.ErrorCode(err) != fireline.EINVALID {
				t.Fatalf("%q: %v, want EINVALID", body, err)
			}
			return
		}
		for _, c := range fr.cands {
			if !strings.HasPrefix(c.line, "candidate:") || strings.ContainsAny(c.line, "\r\n") {
				t.Fatalf("%q: candidate %q", body, c.line)
			}
		}
	})
}

// FuzzOffer: a WHIP or WHEP offer parses, with media sections, or is refused as EINVALID
// before any peer connection is made for it.
func FuzzOffer(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\na=mid:0\r\na=sendonly\r\n")
	f.Add("v=0\r\n")
	f.Add("")
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 99999999999999999999 RTP/AVP 96\r\n")
	f.Fuzz(func(t *testing.T, sdp string) {
		offer, err := parseOffer(sdp)
		if err != nil {
			if fireline.ErrorCode(err) != fireline.EINVALID {
				t.Fatalf("%q: %v, want EINVALID", sdp, err)
			}
			return
		}
		if offer.SDP != sdp {
			t.Fatalf("offer changed: %q", offer.SDP)
		}
	})
}
