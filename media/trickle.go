package media

import (
	"strings"
	"sync"

	"github.com/pion/webrtc/v3"
)

// iceSession is what trickle ICE needs of a session: the ICE credentials of both sides, so a
// fragment for another ICE session (an ICE restart) is told apart from more candidates for
// this one.
type iceSession struct {
	mu          sync.Mutex
	remoteUfrag string
	remotePwd   string
	localUfrag  string
	mids        []string
	endOfCands  bool
}

func (i *iceSession) set(offer, answer webrtc.SessionDescription) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.remoteUfrag, i.remotePwd, i.mids = iceCredentials(offer)
	i.localUfrag, _, _ = iceCredentials(answer)
}

// etag is the session's entity tag (RFC 9725 §4.3.1): it names the ICE session, so it would
// change with an ICE restart. Our ICE username fragment does that and is no secret: the
// answer carries it.
func (i *iceSession) etag() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return `"` + i.localUfrag + `"`
}

// iceCredentials reads the ice-ufrag and ice-pwd of a description (session level or, as
// browsers write them, in the first media section) and its media sections' mids.
func iceCredentials(d webrtc.SessionDescription) (ufrag, pwd string, mids []string) {
	parsed, err := d.Unmarshal()
	if err != nil {
		return "", "", nil
	}
	ufrag, _ = parsed.Attribute("ice-ufrag")
	pwd, _ = parsed.Attribute("ice-pwd")
	for _, md := range parsed.MediaDescriptions {
		if ufrag == "" {
			ufrag, _ = md.Attribute("ice-ufrag")
		}
		if pwd == "" {
			pwd, _ = md.Attribute("ice-pwd")
		}
		mid, _ := md.Attribute("mid")
		mids = append(mids, mid)
	}
	return ufrag, pwd, mids
}

// sdpFrag is a parsed application/trickle-ice-sdpfrag body (RFC 8840 §9): ICE credentials,
// and candidates grouped by the media section (mid) they were gathered for.
type sdpFrag struct {
	ufrag, pwd string
	cands      []fragCandidate
	end        bool
}

type fragCandidate struct {
	mid  string
	line string // "candidate:…"
}

// parseSDPFrag reads an SDP fragment. It is lenient where clients differ (line endings, a
// session-level or per-section ice-ufrag, a=group lines) and strict about what it cannot use.
func parseSDPFrag(body string) (sdpFrag, error) {
	var f sdpFrag
	mid, known := "", 0
	// A line ends at LF, CRLF or a lone CR alike: a CR left inside a line would reach the ICE
	// candidate parser as part of an address.
	for _, line := range strings.FieldsFunc(body, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "m="):
			mid = ""
			known++
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
			known++
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			f.ufrag = strings.TrimPrefix(line, "a=ice-ufrag:")
			known++
		case strings.HasPrefix(line, "a=ice-pwd:"):
			f.pwd = strings.TrimPrefix(line, "a=ice-pwd:")
			known++
		case strings.HasPrefix(line, "a=candidate:"):
			f.cands = append(f.cands, fragCandidate{mid: mid, line: strings.TrimPrefix(line, "a=")})
			known++
		case line == "a=end-of-candidates":
			f.end = true
			known++
		case strings.HasPrefix(line, "a="):
			known++ // a=group:BUNDLE, a=ice-options:trickle and the like
		case len(line) > 1 && line[1] == '=':
			return sdpFrag{}, errInvalid("SDP fragment line %q is not allowed in a trickle-ice-sdpfrag (RFC 8840 §9)", line)
		default:
			return sdpFrag{}, errInvalid("SDP fragment line %q is not an SDP line", line)
		}
	}
	if known == 0 {
		return sdpFrag{}, errInvalid("SDP fragment is empty")
	}
	return f, nil
}

// trickle applies a fragment to a session's peer connection.
func trickle(pc *webrtc.PeerConnection, ice *iceSession, room, id string, f sdpFrag) error {
	ice.mu.Lock()
	ufrag, pwd, mids := ice.remoteUfrag, ice.remotePwd, ice.mids
	ice.mu.Unlock()
	if f.ufrag != "" && f.ufrag != ufrag || f.pwd != "" && f.pwd != pwd {
		return errICERestart(room, id)
	}
	for _, c := range f.cands {
		mid := c.mid
		if mid == "" && len(mids) > 0 {
			mid = mids[0] // bundled: every candidate belongs to the first section
		}
		init := webrtc.ICECandidateInit{Candidate: c.line, SDPMid: &mid}
		if err := pc.AddICECandidate(init); err != nil {
			return errInvalid("ICE candidate %q rejected: %v", c.line, err)
		}
	}
	if f.end {
		ice.mu.Lock()
		ice.endOfCands = true
		ice.mu.Unlock()
	}
	return nil
}
