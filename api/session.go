package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"
)

// The cookies of a browser session. The session cookie holds the bearer token where no
// script can read it; the CSRF cookie is readable by our own pages, which echo it in
// csrfHeader on every request that changes something. Another site's page can make the
// browser send the cookies but cannot read them, so it cannot echo the value.
const (
	sessionCookie = "fireline_session"
	csrfCookie    = "fireline_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// csrfKey separates the CSRF value from every other use of the token. The value needs no
// secret key: it is derived from the session token, which only the browser holding the
// HttpOnly cookie knows, and a constant key lets every API node check it.
var csrfKey = []byte("fireline csrf v1")

// csrfValue is the CSRF token of a session: HMAC-SHA256 of its token, base64url.
func csrfValue(token string) string {
	m := hmac.New(sha256.New, csrfKey)
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfMatches reports, in constant time, whether got is the CSRF token of the session.
func csrfMatches(got, token string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(csrfValue(token)))
}

// safeMethod reports whether a request of this method changes nothing (RFC 9110 §9.2.1).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// setSessionCookies gives the browser the session and CSRF cookies, lasting as the session
// does. SameSite=Strict keeps them off requests other sites start; Secure is set when the
// request came over TLS, so a plain-HTTP development setup still signs in.
func setSessionCookies(w http.ResponseWriter, r *http.Request, token string, ttl time.Duration) {
	secure := r.TLS != nil
	// #nosec G124 -- Secure whenever the request came over TLS; dev serves plain HTTP on loopback.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	// #nosec G124 -- readable on purpose: the pages echo it in X-CSRF-Token; Secure as above.
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrfValue(token), Path: "/", MaxAge: int(ttl.Seconds()),
		Secure: secure, SameSite: http.SameSiteStrictMode})
}

// clearSessionCookies tells the browser to drop both cookies.
func clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}) // #nosec G124 -- an expiry: it carries nothing
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Path: "/", MaxAge: -1, Secure: secure, SameSite: http.SameSiteStrictMode})                    // #nosec G124 -- an expiry: it carries nothing
}

// seconds rounds d up to whole seconds, at least one, as Retry-After counts.
func seconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
