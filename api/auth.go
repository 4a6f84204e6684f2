package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/fireline/fireline"
)

type ctxKey int

const userKey ctxKey = 0

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
		s.log.Info("login refused", "username", req.Username)
		s.writeError(w, r, err)
		return
	}
	noteAuditUser(r.Context(), u)
	token, err := s.store.CreateSession(r.Context(), u, s.cfg.SessionTTL)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: token, User: u})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, userFrom(r.Context()))
}

// authenticate requires a bearer token. EventSource cannot send headers, so the event stream
// alone also takes the token as ?token=.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok && strings.HasSuffix(r.URL.Path, "/events") {
			token, ok = r.URL.Query().Get("token"), r.URL.Query().Has("token")
		}
		if !ok || token == "" {
			s.writeError(w, r, fireline.Errorf(fireline.EUNAUTHORIZED, "sign in first: Authorization: Bearer <token> is missing"))
			return
		}
		u, err := s.store.SessionUser(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		noteAuditUser(r.Context(), u)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
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
