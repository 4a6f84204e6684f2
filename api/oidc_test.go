package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/oidc"
)

// directoryStore keeps the directory's users and the sessions begun for them.
type directoryStore struct {
	fireline.Store
	mu       sync.Mutex
	users    map[string]fireline.DirectoryIdentity
	sessions map[string]fireline.User
}

func (f *directoryStore) DirectoryUser(_ context.Context, id fireline.DirectoryIdentity) (fireline.User, error) {
	if err := id.Validate(); err != nil {
		return fireline.User{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.users[id.Username]; ok && (old.Issuer != id.Issuer || old.Subject != id.Subject) {
		return fireline.User{}, fireline.Errorf(fireline.ECONFLICT, "username %s is taken", id.Username)
	}
	f.users[id.Username] = id
	return fireline.User{Username: id.Username, Role: id.Role}, nil
}

func (f *directoryStore) CreateSession(_ context.Context, u fireline.User, _ time.Duration) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := randomToken()
	f.sessions[tok] = u
	return tok, nil
}

func (f *directoryStore) StartSession(ctx context.Context, u fireline.User, info fireline.SessionInfo) (string, error) {
	return f.CreateSession(ctx, u, info.TTL)
}

// directorySite is Fireline behind a real HTTP listener, signing people in through a real
// OpenID Connect provider (mockoidc) that sends each sign-in back as the user queued on it.
func directorySite(t *testing.T) (*httptest.Server, *mockoidc.MockOIDC, *directoryStore) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	var s *Server
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.ServeHTTP(w, r) }))
	t.Cleanup(site.Close)
	cfg := m.Config()
	dir, err := oidc.New(context.Background(), oidc.Config{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURL: site.URL + oidcCallbackPath,
		Roles: []oidc.RoleMapping{
			{Role: fireline.RoleSupervisor, Group: "cn=duty-officers,ou=fire"},
			{Role: fireline.RoleOperator, Group: "dispatchers"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := &directoryStore{users: map[string]fireline.DirectoryIdentity{}, sessions: map[string]fireline.User{}}
	s = New(DefaultConfig(), Deps{Store: st, DirectoryUsers: st, Directory: dir, Logger: slog.New(slog.DiscardHandler)})
	return site, m, st
}

// browse follows redirects with a cookie jar, as a browser does, and returns where it ended.
func browse(t *testing.T, jar http.CookieJar, target string) *url.URL {
	t.Helper()
	c := &http.Client{Jar: jar}
	res, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Request.URL
}

func sessionCookieIn(jar http.CookieJar, site string) string {
	u, _ := url.Parse(site)
	for _, c := range jar.Cookies(u) {
		if c.Name == "fireline_session" {
			return c.Value
		}
	}
	return ""
}

func TestDirectorySignIn(t *testing.T) {
	site, idp, st := directorySite(t)

	// Options say the directory is offered.
	res, err := http.Get(site.URL + "/api/v1/auth/options")
	if err != nil {
		t.Fatal(err)
	}
	var opts authOptions
	if err := json.NewDecoder(res.Body).Decode(&opts); err != nil || !opts.Directory {
		t.Fatalf("options: %+v, %v", opts, err)
	}
	res.Body.Close()

	t.Run("a duty officer signs in and comes back to the page", func(t *testing.T) {
		idp.QueueUser(&mockoidc.MockUser{Subject: "d-17", PreferredUsername: "wang.fang", Groups: []string{"dispatchers", "cn=duty-officers,ou=fire"}})
		jar, _ := cookiejar.New(nil)
		end := browse(t, jar, site.URL+"/api/v1/auth/oidc/login?return=/review%3Fincident%3D7")
		if end.Host != strings.TrimPrefix(site.URL, "http://") || end.RequestURI() != "/review?incident=7&signin=directory" {
			t.Fatalf("ended at %s", end)
		}
		tok := sessionCookieIn(jar, site.URL)
		// The first mapping the person's groups meet gives the role.
		if u := st.sessions[tok]; tok == "" || u != (fireline.User{Username: "wang.fang", Role: fireline.RoleSupervisor}) {
			t.Fatalf("session %q: %+v", tok, st.sessions[tok])
		}
		if id := st.users["wang.fang"]; id.Issuer != idp.Issuer() || id.Subject != "d-17" {
			t.Fatalf("directory identity kept: %+v", id)
		}
	})

	refused := []struct {
		name  string
		user  *mockoidc.MockUser
		start string
		want  string
	}{
		{"in no mapped group", &mockoidc.MockUser{Subject: "x-1", PreferredUsername: "visitor", Groups: []string{"finance"}},
			"/api/v1/auth/oidc/login", "/?signin_error=role"},
		{"a name another identity holds", &mockoidc.MockUser{Subject: "x-2", PreferredUsername: "wang.fang", Groups: []string{"dispatchers"}},
			"/api/v1/auth/oidc/login", "/?signin_error=conflict"},
		{"no pending sign-in", nil, oidcCallbackPath + "?code=abc&state=xyz", "/?signin_error=expired"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			if c.user != nil {
				idp.QueueUser(c.user)
			}
			before := len(st.sessions)
			jar, _ := cookiejar.New(nil)
			if end := browse(t, jar, site.URL+c.start); end.RequestURI() != c.want {
				t.Fatalf("ended at %s, want %s", end.RequestURI(), c.want)
			}
			if sessionCookieIn(jar, site.URL) != "" || len(st.sessions) != before {
				t.Fatal("a session was begun")
			}
		})
	}

	t.Run("a forged state", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		// Begin a sign-in to get a pending cookie, then come back with another state.
		res, err := c.Get(site.URL + "/api/v1/auth/oidc/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = c.Get(site.URL + oidcCallbackPath + "?code=abc&state=forged")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != "/?signin_error=state" {
			t.Fatalf("forged state went to %q", loc)
		}
	})
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "/",
		"/review":                 "/review",
		"/review?incident=7":      "/review?incident=7",
		"//evil.example/x":        "/",
		"/\\evil.example":         "/",
		"https://evil.example/":   "/",
		"javascript:alert(1)":     "/",
		"review":                  "/",
		"/field\r\nSet-Cookie: x": "/",
	} {
		if got := safeReturn(in); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPendingSignInCookie(t *testing.T) {
	s := New(DefaultConfig(), Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)})
	p := oidcPending{State: "s", Nonce: "n", Verifier: "v", Return: "/", Expires: now.Add(time.Minute)}
	s.now = func() time.Time { return now }
	sealed := s.sealPending(p)
	if got, err := s.openPending(sealed); err != nil || got.State != "s" {
		t.Fatalf("open: %+v, %v", got, err)
	}
	body, sig, _ := strings.Cut(sealed, ".")
	for name, v := range map[string]string{
		"tampered body": strings.ToUpper(body[:4]) + body[4:] + "." + sig,
		"no signature":  body,
		"other key":     New(DefaultConfig(), Deps{Store: &fakeStore{}, Logger: slog.New(slog.DiscardHandler)}).sealPending(p),
	} {
		if _, err := s.openPending(v); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	s.now = func() time.Time { return now.Add(2 * time.Minute) }
	if _, err := s.openPending(sealed); err == nil {
		t.Error("expired: opened")
	}
}
