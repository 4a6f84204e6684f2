package api

import (
	"net/http"

	"github.com/fireline/fireline"
)

// beginSession is replaced by the cookie-setting one of the sign-in work on merge.
func (s *Server) beginSession(w http.ResponseWriter, r *http.Request, u fireline.User) (loginResponse, error) {
	token, err := s.store.CreateSession(r.Context(), u, s.cfg.SessionTTL)
	if err != nil {
		return loginResponse{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: "fireline_session", Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return loginResponse{Token: token, User: u}, nil
}
