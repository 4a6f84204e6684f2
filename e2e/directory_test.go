package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

// TestDirectorySignInInBrowser signs a duty officer into the console through the centre's
// directory: a real OpenID Connect provider (mockoidc, from Go modules) in this process, the
// real binary configured for it, and Chromium following the redirects. The console comes up
// signed in by the session cookie with the role the directory's group maps to; a change sent
// without the CSRF token is refused even from the console's own origin, and signing out ends the
// cookie session. The browser side is e2e/browser/directory.test.mjs.
func TestDirectorySignInInBrowser(t *testing.T) {
	script := browserScript(t, "directory.test.mjs")
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Shutdown() })
	const username = "wang.fang"
	idp.QueueUser(&mockoidc.MockUser{Subject: "duty-17", PreferredUsername: username, Email: "wang.fang@119.example",
		Groups: []string{"staff", "cn=duty-officers,ou=fire"}})

	s := newStack(t)
	cfg := idp.Config()
	s.flags = []string{
		"--oidc-issuer", cfg.Issuer, "--oidc-client-id", cfg.ClientID,
		"--oidc-redirect-url", fmt.Sprintf("%s/api/v1/auth/oidc/callback", s.base),
		"--oidc-role", "supervisor=cn=duty-officers,ou=fire", "--oidc-role", "operator=staff",
	}
	s.env = []string{"FIRELINE_OIDC_CLIENT_SECRET=" + cfg.ClientSecret}
	s.start()

	runScript(t, s, script, artifactsDir(t), 2*time.Minute, map[string]string{"FIRELINE_DIRECTORY_USER": username})

	// The directory's user is a Fireline user now, with the first mapped group's role.
	admin := s.login("admin")
	var users []struct {
		Username string `json:"username"`
		Role     string `json:"role"`
	}
	s.must(200, "GET", "/api/v1/admin/users", admin, nil, &users)
	found := false
	for _, u := range users {
		if u.Username == username {
			found = true
			if u.Role != "supervisor" {
				t.Errorf("directory user %s has role %s, want supervisor", username, u.Role)
			}
		}
	}
	if !found {
		t.Errorf("directory user %s not among the %d users", username, len(users))
	}
}
