package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/fireline/fireline"
)

type ctxKey int

const (
	userKey ctxKey = iota
	tokenKey
)

// sessionTokenFrom returns the token the request's session was found by.
func sessionTokenFrom(ctx context.Context) string {
	t, _ := ctx.Value(tokenKey).(string)
	return t
}

// userFrom returns the signed-in user of the request; authenticate guarantees one.
func userFrom(ctx context.Context) fireline.User {
	u, _ := ctx.Value(userKey).(fireline.User)
	return u
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token string        `json:"token"`
	User  fireline.User `json:"user"`
}

// login signs a user in. A client address over its budget of attempts (RateLimits.Login) was
// refused before it got here; the store counts failures per username and locks it out
// (fireline.LoginPolicy), which holds across nodes.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Username == "" || req.Password == "" {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "username and password are required"))
		return
	}
	u, err := s.store.Authenticate(r.Context(), req.Username, req.Password)
	if err != nil {
		s.log.Info("login refused", "username", req.Username, "remote", s.clientIP(r), "code", fireline.ErrorCode(err))
		s.writeError(w, r, err)
		return
	}
	noteAuditUser(r.Context(), u)
	resp, err := s.beginSession(w, r, u)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// beginSession starts a session for u, who has proved who they are, and answers with its
// token in both forms: the JSON token the pages send as a bearer header, and the cookies
// (session and CSRF) a browser sends by itself. Every way of signing in ends here.
func (s *Server) beginSession(w http.ResponseWriter, r *http.Request, u fireline.User) (loginResponse, error) {
	token, err := s.store.StartSession(r.Context(), u, fireline.SessionInfo{
		TTL: s.cfg.SessionTTL, RemoteAddr: s.clientIP(r), UserAgent: r.UserAgent(),
	})
	if err != nil {
		return loginResponse{}, err
	}
	setSessionCookies(w, r, token, s.cfg.SessionTTL)
	return loginResponse{Token: token, User: u}, nil
}

// logout ends the session the request came with.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.store.EndSession(r.Context(), sessionTokenFrom(r.Context())); err != nil {
		s.writeError(w, r, err)
		return
	}
	clearSessionCookies(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// logoutAll ends every session of the signed-in user, this one included: for a lost phone or
// a password seen over a shoulder.
func (s *Server) logoutAll(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.EndSessions(r.Context(), userFrom(r.Context()).Username); err != nil {
		s.writeError(w, r, err)
		return
	}
	clearSessionCookies(w, r)
	w.WriteHeader(http.StatusNoContent)
}

type passwordChange struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// changeOwnPassword changes the signed-in user's password. Every session of the user ends,
// and this one continues as a new session, answered as a login is.
func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordChange
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u := userFrom(r.Context())
	if err := s.store.ChangePassword(r.Context(), u.Username, req.OldPassword, req.NewPassword); err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.beginSession(w, r, u)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, userFrom(r.Context()))
}

// authenticate requires a session (a bearer token, or the session cookie) or, as a bearer
// token, an alarm source's API key. EventSource cannot send headers, so the event stream alone
// also takes the token as ?token=. A browser sends a cookie with any request, a forged one from
// another site's page too, so a request signed in by cookie that changes something must also
// carry the CSRF token, which only our own pages can read; a bearer token is never sent by
// itself and needs none.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A token the page names (header, or the event stream's query) wins over the cookie,
		// which is the browser's last sign-in and may be another tab's user.
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok && strings.HasSuffix(r.URL.Path, "/events") {
			token, ok = r.URL.Query().Get("token"), r.URL.Query().Has("token")
		}
		byCookie := false
		if !ok {
			if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
				token, ok, byCookie = c.Value, true, true
			}
		}
		if !ok || token == "" {
			s.writeError(w, r, fireline.Errorf(fireline.EUNAUTHORIZED, "sign in first: Authorization: Bearer <token> is missing"))
			return
		}
		if byCookie && !safeMethod(r.Method) && !csrfMatches(r.Header.Get(csrfHeader), token) {
			s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "csrf token missing or wrong"))
			return
		}
		ctx := r.Context()
		var u fireline.User
		var err error
		if !byCookie && strings.HasPrefix(token, fireline.APIKeyPrefix) {
			u, ctx, err = s.keyUser(ctx, token) // an alarm source's API key (apikeys.go)
		} else {
			u, err = s.store.SessionUser(ctx, token)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		noteAuditUser(ctx, u)
		ctx = context.WithValue(ctx, userKey, u)
		ctx = context.WithValue(ctx, tokenKey, token)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// may lets through a user whose role may take any of the actions (fireline.Can). Given a pair
// such as ActionReadIncidents and ActionReadOwnIncident it lets both in, and the handler
// narrows the own one to the user's unit or incident.
func (s *Server) may(actions ...fireline.Action) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u := userFrom(r.Context())
			if !slices.ContainsFunc(actions, func(a fireline.Action) bool { return fireline.Can(u.Role, a) }) {
				s.writeError(w, r, fireline.Errorf(fireline.EFORBIDDEN, "role %s may not %s %s", u.Role, r.Method, r.URL.Path))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
