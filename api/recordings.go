package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// Recording is one camera's recording of an incident, as the review lists it.
type Recording struct {
	Name string `json:"name"`
	// Stream is the publishing unit's id.
	Stream      string   `json:"stream"`
	Codecs      []string `json:"codecs"` // MIME types, video first
	ContentType string   `json:"content_type"`
	Width       int      `json:"width,omitempty"`
	Height      int      `json:"height,omitempty"`
	// StartedAt is the wall-clock time of the recording's first frame: its media time 0, so
	// a timeline event at time t is at t − StartedAt in the recording.
	StartedAt time.Time `json:"started_at"`
	// EndedAt is the wall-clock time of its last frame; while recording, of the last write.
	EndedAt  *time.Time `json:"ended_at,omitempty"`
	Duration float64    `json:"duration_s"`
	Bytes    int64      `json:"bytes"`
	Frames   int        `json:"frames"`
	// Complete is true for a recording closed cleanly at its end; an interrupted, failed or
	// cut one plays up to its last complete frame.
	Complete bool   `json:"complete"`
	State    string `json:"state"` // recording, closed, interrupted, failed, cut (the disk was full)
	// URL plays the recording until URLExpiresAt without an Authorization header (see
	// recordingTicket), for a <video src>.
	URL          string    `json:"url"`
	URLExpiresAt time.Time `json:"url_expires_at"`
}

// recordingOf is a recording as the review lists it, without its URL yet.
func recordingOf(fr fireline.Recording) Recording {
	r := Recording{
		Name: fr.Name, Stream: fr.Stream, Codecs: fr.Codecs(), ContentType: fr.ContentType,
		StartedAt: fr.StartedAt, EndedAt: fr.EndedAt, Duration: fr.Duration, Bytes: fr.Bytes, Frames: fr.Frames,
		Complete: fr.Complete, State: fr.State,
	}
	for _, t := range fr.Tracks {
		if t.Kind == "video" {
			r.Width, r.Height = t.Width, t.Height
		}
	}
	return r
}

// ticketTTL is how long a recording's URL plays: long enough to review an incident's video
// without interruption, short enough that a copied link soon stops working. The review page
// asks for fresh URLs when one expires.
const ticketTTL = time.Hour

func (s *Server) listRecordings(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err == nil && s.recordings == nil {
		err = fireline.Errorf(fireline.EUNAVAILABLE, "this node serves no recordings")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.store.Incident(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	stored, err := s.recordings.Recordings(roomOf(id))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	exp := s.now().Add(ticketTTL).Truncate(time.Second)
	list := make([]Recording, 0, len(stored))
	for _, fr := range stored {
		rec := recordingOf(fr)
		rec.URL = recordingPath(id, rec.Name) + "?ticket=" + s.recordingTicket(id, rec.Name, exp)
		rec.URLExpiresAt = exp
		list = append(list, rec)
	}
	answerList(s, w, r, "recordings", list, nil)
}

func recordingPath(id int64, name string) string {
	return "/api/v1/incidents/" + strconv.FormatInt(id, 10) + "/recordings/" + url.PathEscape(name)
}

// recordingTicket signs a URL for one recording of one incident until exp. A <video> element
// cannot send an Authorization header, and putting the session token in the URL would leave a
// credential for everything in browser history and proxy logs, so the list endpoint, which the
// caller reaches with their token and a console role, mints a ticket that opens this one file
// and nothing else, and expires. A cookie would do too, but the console keeps its session per
// tab, not per browser, and a cookie would bring cross-site request concerns to an API that
// has none. Tickets are signed with the API's key (Config.TicketKey): every API node given the
// same key accepts the others' tickets.
func (s *Server) recordingTicket(id int64, name string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return e + "." + s.ticketMAC(id, name, e)
}

func (s *Server) ticketMAC(id int64, name, exp string) string {
	m := hmac.New(sha256.New, s.ticketKey)
	m.Write([]byte("fireline recording\x00" + strconv.FormatInt(id, 10) + "\x00" + name + "\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkTicket accepts a ticket for this recording that has not expired.
func (s *Server) checkTicket(id int64, name, ticket string) error {
	exp, mac, ok := strings.Cut(ticket, ".")
	secs, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || !hmac.Equal([]byte(mac), []byte(s.ticketMAC(id, name, exp))) {
		return fireline.Errorf(fireline.EFORBIDDEN, "this recording link is not valid; open the recording from the incident's review")
	}
	if !s.now().Before(time.Unix(secs, 0)) {
		return fireline.Errorf(fireline.EFORBIDDEN, "this recording link has expired; reload the incident's review")
	}
	return nil
}

// ticketOr lets through a request that carries a valid ticket for the recording its URL names
// or, with a bearer token, whoever byRole lets through once signed in (the access table's
// "ticket or" rule).
func (s *Server) ticketOr(byRole func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		signed := s.authenticate(byRole(next))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				signed.ServeHTTP(w, r)
				return
			}
			ticket := r.URL.Query().Get("ticket")
			if ticket == "" {
				s.writeError(w, r, fireline.Errorf(fireline.EUNAUTHORIZED, "sign in first: send Authorization: Bearer <token>, or use the URL the recordings list gives"))
				return
			}
			id, err := incidentID(r)
			if err == nil {
				err = s.checkTicket(id, chi.URLParam(r, "name"), ticket)
			}
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// recordingFile serves one recording with range requests (players seek by asking for byte
// ranges). Its route takes the bearer token of a role that reads recordings, or a ticket from
// the list (ticketOr).
func (s *Server) recordingFile(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := chi.URLParam(r, "name")
	if !plainName(name) {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "%q is not a recording's name", name))
		return
	}
	if s.recordings == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "this node serves no recordings"))
		return
	}
	f, rec, err := s.recordings.Open(roomOf(id), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", rec.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	// A recording still being written grows: the validator changes with it, so If-Range
	// never stitches old and new bytes together.
	h.Set("ETag", `"`+strconv.FormatInt(st.Size(), 36)+"-"+strconv.FormatInt(st.ModTime().UnixNano(), 36)+`"`)
	h.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// plainName reports whether name can only name a file in the room's own folder: no
// separator, parent, NUL, escape (chi hands over a path segment still percent-encoded when
// the URL had an encoded slash) or hidden file. The library checks its own naming pattern as
// well; this keeps a hostile name from reaching any library at all.
func plainName(name string) bool {
	return name != "" && len(name) <= 255 && !strings.ContainsAny(name, "/\\%\x00") && !strings.HasPrefix(name, ".")
}

// newTicketKey is a random key, for an API that was given none: its tickets work on it alone.
func newTicketKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}
