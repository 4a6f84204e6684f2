package api

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// sessionRoutes are a signed-in user's own: sign out here or everywhere, and change the
// password. Every role may, gateways included.
func (s *Server) sessionRoutes(r routeSet) {
	r.post("/auth/logout", s.logout)
	r.post("/auth/logout-all", s.logoutAll)
	r.post("/auth/password", s.changeOwnPassword)
}

// userRoutes manage users and their sessions, under /admin (ActionManageUsers).
func (s *Server) userRoutes(r routeSet) {
	r.get("/users", s.listUsers)
	r.post("/users", s.createUser)
	r.get("/users/{name}", s.getUser)
	r.patch("/users/{name}", s.updateUser)
	r.post("/users/{name}/password", s.resetPassword)
	r.get("/users/{name}/sessions", s.userSessions)
	r.delete("/users/{name}/sessions", s.revokeSessions)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.store.Users(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, users)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var n fireline.NewUser
	if err := decodeJSON(w, r, &n); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.store.CreateUser(r.Context(), n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("user created", "username", a.Username, "role", a.Role, "by", userFrom(r.Context()).Username)
	w.Header().Set("Location", "/api/v1/admin/users/"+url.PathEscape(a.Username))
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.Account(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var u fireline.UserUpdate
	if err := decodeJSON(w, r, &u); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.store.UpdateUser(r.Context(), chi.URLParam(r, "name"), u)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("user changed", "username", a.Username, "role", a.Role, "disabled", a.Disabled, "by", userFrom(r.Context()).Username)
	writeJSON(w, http.StatusOK, a)
}

type passwordReset struct {
	Password string `json:"password"`
}

// resetPassword sets a user's password for them; their sessions end and a lock-out lifts.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordReset
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	name := chi.URLParam(r, "name")
	if err := s.store.SetPassword(r.Context(), name, req.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("password reset", "username", name, "by", userFrom(r.Context()).Username)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) userSessions(w http.ResponseWriter, r *http.Request) {
	sessions, err := s.store.Sessions(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sessions)
}

type revoked struct {
	// Ended is how many sessions were ended.
	Ended int `json:"ended"`
}

func (s *Server) revokeSessions(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	n, err := s.store.EndSessions(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("sessions revoked", "username", name, "ended", n, "by", userFrom(r.Context()).Username)
	writeJSON(w, http.StatusOK, revoked{Ended: n})
}
