package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/fireline/fireline"
)

// The alarm sources' API keys: administrators create a key for one gateway or CAP feed (its
// secret is in the answer, and never again), list the keys and revoke them. The same store
// methods serve `fireline keys`.

func (s *Server) apiKeyRoutes(admin routeSet) {
	admin.get("/api-keys", s.listAPIKeys)
	admin.post("/api-keys", s.createAPIKey)
	admin.delete("/api-keys/{id}", s.revokeAPIKey)
}

// createdAPIKey is the answer to a new key: the key and its secret, shown this once.
type createdAPIKey struct {
	fireline.APIKey
	// Secret is the bearer credential: Authorization: Bearer flk_…
	Secret string `json:"secret"`
}

func (s *Server) keyStore(w http.ResponseWriter, r *http.Request) (fireline.APIKeyStore, bool) {
	if s.keys == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "this node keeps no API keys"))
		return nil, false
	}
	return s.keys, true
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	keys, ok := s.keyStore(w, r)
	if !ok {
		return
	}
	list, err := keys.APIKeys(r.Context())
	answerList(s, w, r, "api_keys", list, err)
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	keys, ok := s.keyStore(w, r)
	if !ok {
		return
	}
	var req fireline.NewAPIKey
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	actor := userFrom(r.Context()).Username
	k, secret, err := keys.CreateAPIKey(r.Context(), req, actor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("API key created", "key", k.ID, "name", k.Name, "source", k.Source, "prefix", k.SourceIDPrefix, "actor", actor)
	w.Header().Set("Location", "/api/v1/admin/api-keys/"+strconv.FormatInt(k.ID, 10))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, createdAPIKey{APIKey: k, Secret: secret})
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	keys, ok := s.keyStore(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "API key id %q is not a positive integer", chi.URLParam(r, "id")))
		return
	}
	actor := userFrom(r.Context()).Username
	k, err := keys.RevokeAPIKey(r.Context(), id, actor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("API key revoked", "key", k.ID, "name", k.Name, "actor", actor)
	writeJSON(w, http.StatusOK, k)
}

// keyUser is the user and context of a request signed with an API key: the gateway role, with
// the key's grant in the context for the intake desk. A revoked or unknown key is
// EUNAUTHORIZED.
func (s *Server) keyUser(ctx context.Context, secret string) (fireline.User, context.Context, error) {
	if s.keys == nil {
		return fireline.User{}, ctx, fireline.Errorf(fireline.EUNAUTHORIZED, "this node takes no API keys; sign in instead")
	}
	k, err := s.keys.APIKeyBySecret(ctx, secret)
	if err != nil {
		return fireline.User{}, ctx, err
	}
	return k.User(), fireline.NewContextWithAlarmGrant(ctx, k.Grant()), nil
}
