package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// Directory is the centre's directory, signing people in with OpenID Connect (oidc.Provider).
type Directory interface {
	AuthCodeURL(state, nonce, verifier string) string
	Identify(ctx context.Context, code, verifier, nonce string) (fireline.DirectoryIdentity, error)
}

// The directory sign-in keeps what it must check on the way back (state, nonce, PKCE
// verifier, where to return) in a short-lived cookie signed by this deployment, not in a
// node's memory: behind a load balancer the callback may reach another API node. API nodes
// share the signing key as they share the recordings' ticket key (FIRELINE_RECORDING_KEY).
const (
	oidcCookie   = "fireline_oidc"
	oidcLoginTTL = 10 * time.Minute
	// oidcCallbackPath is the path the directory redirects to; registered with it.
	oidcCallbackPath = "/api/v1/auth/oidc/callback"
)

// oidcPending is one sign-in on its way through the directory.
type oidcPending struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Return   string    `json:"r"`
	Expires  time.Time `json:"e"`
}

type authOptions struct {
	// Directory says whether "sign in with the centre's directory" is offered.
	Directory bool `json:"directory"`
}

// authOptions tells the sign-in forms which ways in there are.
func (s *Server) authOptions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, authOptions{Directory: s.directory != nil})
}

// oidcLogin sends the browser to the directory. ?return= is the page to come back to.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if s.directory == nil {
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "directory sign-in is not configured here"))
		return
	}
	p := oidcPending{State: randomToken(), Nonce: randomToken(), Verifier: randomToken() + randomToken(),
		Return: safeReturn(r.URL.Query().Get("return")), Expires: s.now().Add(oidcLoginTTL)}
	// #nosec G124 -- HttpOnly, Secure over TLS, Lax for the reason below.
	http.SetCookie(w, &http.Cookie{
		Name: oidcCookie, Value: s.sealPending(p), Path: "/api/v1/auth/oidc/",
		MaxAge: int(oidcLoginTTL.Seconds()), HttpOnly: true, Secure: r.TLS != nil,
		// Lax, not Strict: the directory's redirect back is a top-level navigation from
		// another site, and a Strict cookie would not come with it.
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, s.directory.AuthCodeURL(p.State, p.Nonce, p.Verifier), http.StatusFound)
}

// oidcCallback takes the directory's answer, signs the person in and sends the browser back
// to its page. A failure goes back to the page too, with ?signin_error= naming what failed in
// a word the page translates; the log has the detail.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	fail := func(code string, err error) {
		s.log.Warn("directory sign-in refused", "reason", code, "error", err)
		http.Redirect(w, r, "/?signin_error="+code, http.StatusFound)
	}
	if s.directory == nil {
		s.writeError(w, r, fireline.Errorf(fireline.ENOTFOUND, "directory sign-in is not configured here"))
		return
	}
	// The pending cookie is spent whatever happens.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/api/v1/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode}) // #nosec G124 -- an expiry: it carries nothing
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		fail("expired", errors.New("no pending sign-in cookie"))
		return
	}
	p, err := s.openPending(c.Value)
	if err != nil {
		fail("expired", err)
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		fail("denied", errors.New("directory: "+e+": "+q.Get("error_description")))
		return
	}
	if !hmac.Equal([]byte(q.Get("state")), []byte(p.State)) {
		fail("state", errors.New("state does not match the pending sign-in"))
		return
	}
	id, err := s.directory.Identify(r.Context(), q.Get("code"), p.Verifier, p.Nonce)
	if err != nil {
		fail(signinErrorWord(err), err)
		return
	}
	u, err := s.directoryUsers.DirectoryUser(r.Context(), id)
	if err != nil {
		fail(signinErrorWord(err), err)
		return
	}
	if _, err := s.beginSession(w, r, u); err != nil {
		fail("internal", err)
		return
	}
	s.log.Info("signed in through the directory", "username", u.Username, "role", u.Role)
	http.Redirect(w, r, withSignedInMark(p.Return), http.StatusFound)
}

// signinErrorWord is the word the page shows a failed directory sign-in by.
func signinErrorWord(err error) string {
	if fireline.ErrorCode(err) == fireline.EFORBIDDEN && strings.HasSuffix(fireline.ErrorMessage(err), " is disabled") {
		return "disabled"
	}
	switch fireline.ErrorCode(err) {
	case fireline.EFORBIDDEN:
		return "role"
	case fireline.ECONFLICT:
		return "conflict"
	case fireline.EUNAUTHORIZED, fireline.EINVALID:
		return "denied"
	}
	return "internal"
}

// withSignedInMark adds ?signin=directory to the page's way back: the page then takes up the
// cookie session the directory sign-in began. Without the mark a page opens its own sign-in
// form, as each tab keeps its own session: the cookie of another tab's sign-in is not taken up.
func withSignedInMark(ret string) string {
	u, err := url.Parse(ret)
	if err != nil {
		return "/?signin=directory"
	}
	q := u.Query()
	q.Set("signin", "directory")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// safeReturn keeps the way back on this site: a path of ours, never another host
// ("//evil.example", "/\evil.example") or a scheme.
func safeReturn(s string) string {
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return "/"
	}
	return u.RequestURI()
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oidcKey is the pending cookie's signing key, derived from the ticket key so that one shared
// secret serves both.
func (s *Server) oidcKey() []byte {
	m := hmac.New(sha256.New, s.ticketKey)
	m.Write([]byte("fireline directory sign-in"))
	return m.Sum(nil)
}

func (s *Server) sealPending(p oidcPending) string {
	body, _ := json.Marshal(p) // a struct of strings and a time: cannot fail
	m := hmac.New(sha256.New, s.oidcKey())
	m.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) openPending(v string) (oidcPending, error) {
	var p oidcPending
	b64, sig64, ok := strings.Cut(v, ".")
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if !ok || err1 != nil || err2 != nil {
		return p, errors.New("pending sign-in cookie is malformed")
	}
	m := hmac.New(sha256.New, s.oidcKey())
	m.Write(body)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return p, errors.New("pending sign-in cookie has a bad signature")
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return p, errors.New("pending sign-in cookie is malformed")
	}
	if !s.now().Before(p.Expires) {
		return p, errors.New("pending sign-in has expired")
	}
	return p, nil
}
