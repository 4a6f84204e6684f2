package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// identityFake keeps accounts and sessions in memory with the store's rules that the
// handlers rely on (lock-out after failures, sessions ended by a password change or a
// disable). postgres/users_test.go proves the real store keeps the same rules. The embedded
// nil Store panics if a handler reaches for anything else.
type identityFake struct {
	fireline.Store
	policy    fireline.LoginPolicy
	accounts  map[string]fireline.Account
	passwords map[string]string
	sessions  map[string]string // token → username
	failures  map[string]int
	next      int
}

func newIdentityFake() *identityFake {
	f := &identityFake{
		policy:    fireline.LoginPolicy{MaxFailures: 3, LockFor: time.Minute, MaxLock: 30 * time.Minute},
		accounts:  map[string]fireline.Account{},
		passwords: map[string]string{},
		sessions:  map[string]string{},
		failures:  map[string]int{},
	}
	for _, u := range []fireline.NewUser{
		{Username: "admin", Role: fireline.RoleAdmin, Password: "admin passphrase"},
		{Username: "operator", Role: fireline.RoleOperator, Password: "operator passphrase"},
	} {
		if _, err := f.CreateUser(context.Background(), u); err != nil {
			panic(err)
		}
	}
	return f
}

func (f *identityFake) Authenticate(_ context.Context, name, password string) (fireline.User, error) {
	if f.failures[name] >= f.policy.MaxFailures {
		return fireline.User{}, &fireline.RetryError{Err: fireline.Errorf(fireline.ELOCKED, "locked"), After: f.policy.LockDuration(f.failures[name])}
	}
	a, ok := f.accounts[name]
	if !ok || f.passwords[name] != password {
		f.failures[name]++
		if d := f.policy.LockDuration(f.failures[name]); d > 0 {
			return fireline.User{}, &fireline.RetryError{Err: fireline.Errorf(fireline.ELOCKED, "locked"), After: d}
		}
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "wrong username or password")
	}
	if a.Disabled {
		return fireline.User{}, fireline.Errorf(fireline.EFORBIDDEN, "disabled")
	}
	delete(f.failures, name)
	return a.User, nil
}

func (f *identityFake) StartSession(_ context.Context, u fireline.User, _ fireline.SessionInfo) (string, error) {
	f.next++
	token := fmt.Sprintf("token-%d", f.next)
	f.sessions[token] = u.Username
	return token, nil
}

func (f *identityFake) SessionUser(_ context.Context, token string) (fireline.User, error) {
	name, ok := f.sessions[token]
	if !ok {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "not signed in")
	}
	return f.accounts[name].User, nil
}

func (f *identityFake) EndSession(_ context.Context, token string) error {
	delete(f.sessions, token)
	return nil
}

func (f *identityFake) EndSessions(_ context.Context, name string) (int, error) {
	if _, ok := f.accounts[name]; !ok {
		return 0, fireline.Errorf(fireline.ENOTFOUND, "user %s does not exist", name)
	}
	n := 0
	for t, u := range f.sessions {
		if u == name {
			delete(f.sessions, t)
			n++
		}
	}
	return n, nil
}

func (f *identityFake) Sessions(_ context.Context, name string) ([]fireline.Session, error) {
	if _, ok := f.accounts[name]; !ok {
		return nil, fireline.Errorf(fireline.ENOTFOUND, "user %s does not exist", name)
	}
	out := []fireline.Session{}
	for _, u := range f.sessions {
		if u == name {
			out = append(out, fireline.Session{ID: int64(len(out) + 1), Username: u})
		}
	}
	return out, nil
}

func (f *identityFake) CreateUser(_ context.Context, n fireline.NewUser) (fireline.Account, error) {
	if err := n.Validate(); err != nil {
		return fireline.Account{}, err
	}
	if _, ok := f.accounts[n.Username]; ok {
		return fireline.Account{}, fireline.Errorf(fireline.ECONFLICT, "user %s already exists", n.Username)
	}
	a := fireline.Account{User: fireline.User{Username: n.Username, Role: n.Role, UnitID: n.UnitID}, CreatedAt: now}
	f.accounts[n.Username], f.passwords[n.Username] = a, n.Password
	return a, nil
}

func (f *identityFake) Users(context.Context) ([]fireline.Account, error) {
	var out []fireline.Account
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range f.accounts {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, f.accounts[name])
	}
	return out, nil
}

func (f *identityFake) Account(_ context.Context, name string) (fireline.Account, error) {
	a, ok := f.accounts[name]
	if !ok {
		return fireline.Account{}, fireline.Errorf(fireline.ENOTFOUND, "user %s does not exist", name)
	}
	return a, nil
}

func (f *identityFake) UpdateUser(ctx context.Context, name string, u fireline.UserUpdate) (fireline.Account, error) {
	a, err := f.Account(ctx, name)
	if err != nil {
		return a, err
	}
	if a, err = u.Apply(a); err != nil {
		return a, err
	}
	f.accounts[name] = a
	if a.Disabled {
		_, _ = f.EndSessions(ctx, name)
	}
	return a, nil
}

func (f *identityFake) SetPassword(ctx context.Context, name, password string) error {
	if err := fireline.ValidatePassword(name, password); err != nil {
		return err
	}
	if _, err := f.Account(ctx, name); err != nil {
		return err
	}
	f.passwords[name] = password
	delete(f.failures, name)
	_, err := f.EndSessions(ctx, name)
	return err
}

func (f *identityFake) ChangePassword(ctx context.Context, name, old, password string) error {
	if _, err := f.Authenticate(ctx, name, old); err != nil {
		return fireline.Errorf(fireline.EINVALID, "old_password: wrong password")
	}
	return f.SetPassword(ctx, name, password)
}

func identityServer(f *identityFake) *Server {
	return New(DefaultConfig(), Deps{Store: f, Logger: slog.New(slog.DiscardHandler)})
}

// idCall sends a request from a fixed client address with the given headers and cookies.
func idCall(s *Server, method, path, body string, header map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "10.1.2.3:50000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// signIn logs name in and returns the JSON answer's token and the cookies set.
func signIn(t *testing.T, s *Server, name, password string) (string, map[string]*http.Cookie) {
	t.Helper()
	w := idCall(s, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, name, password), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("login %s: %d %s", name, w.Code, w.Body)
	}
	var resp loginResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	cookies := map[string]*http.Cookie{}
	for _, c := range w.Result().Cookies() {
		cookies[c.Name] = c
	}
	return resp.Token, cookies
}

func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, detail string) Problem {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("%d %q: %v", w.Code, w.Body, err)
	}
	if w.Code != status || !strings.Contains(p.Detail, detail) {
		t.Fatalf("%d %+v, want %d with %q", w.Code, p, status, detail)
	}
	return p
}

func TestLoginSetsCookies(t *testing.T) {
	s := identityServer(newIdentityFake())
	token, cookies := signIn(t, s, "operator", "operator passphrase")
	sc, cc := cookies[sessionCookie], cookies[csrfCookie]
	if sc == nil || cc == nil {
		t.Fatalf("cookies %v, want %s and %s", cookies, sessionCookie, csrfCookie)
	}
	if sc.Value != token || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure {
		t.Errorf("session cookie %+v: want the token, HttpOnly, SameSite=Strict, not Secure over plain HTTP", sc)
	}
	if cc.HttpOnly || cc.Value != csrfValue(token) || cc.SameSite != http.SameSiteStrictMode {
		t.Errorf("csrf cookie %+v: want readable, the session's csrf value, SameSite=Strict", cc)
	}
	// Over TLS the cookies are Secure.
	r := httptest.NewRequest("POST", "https://fireline.example/api/v1/auth/login", strings.NewReader(`{"username":"operator","password":"operator passphrase"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s over TLS is not Secure", c.Name)
		}
	}
	// The cookie alone signs a read in.
	if w := idCall(s, "GET", "/api/v1/auth/me", "", nil, sc); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"operator"`) {
		t.Errorf("me by cookie: %d %s", w.Code, w.Body)
	}
}

func TestCSRF(t *testing.T) {
	f := newIdentityFake()
	s := identityServer(f)
	token, cookies := signIn(t, s, "admin", "admin passphrase")
	sc, cc := cookies[sessionCookie], cookies[csrfCookie]
	disable := `{"disabled":true}`

	// By cookie without the header, or with a wrong one: refused, and nothing changed.
	for _, h := range []map[string]string{nil, {csrfHeader: "forged"}, {csrfHeader: csrfValue("another session")}} {
		w := idCall(s, "PATCH", "/api/v1/admin/users/operator", disable, h, sc)
		wantProblem(t, w, http.StatusForbidden, "csrf token missing or wrong")
		if f.accounts["operator"].Disabled {
			t.Fatal("a request refused for CSRF disabled the user")
		}
	}
	w := idCall(s, "POST", "/api/v1/auth/logout", "", nil, sc)
	wantProblem(t, w, http.StatusForbidden, "csrf token missing or wrong")
	if _, ok := f.sessions[token]; !ok {
		t.Fatal("a sign-out refused for CSRF ended the session")
	}

	// With the header: done.
	w = idCall(s, "PATCH", "/api/v1/admin/users/operator", disable, map[string]string{csrfHeader: cc.Value}, sc)
	if w.Code != http.StatusOK || !f.accounts["operator"].Disabled {
		t.Fatalf("with the csrf header: %d %s", w.Code, w.Body)
	}
	// By bearer token: no CSRF token needed.
	w = idCall(s, "PATCH", "/api/v1/admin/users/operator", `{"disabled":false}`, bearer(token))
	if w.Code != http.StatusOK || f.accounts["operator"].Disabled {
		t.Fatalf("by bearer: %d %s", w.Code, w.Body)
	}
}

func TestLogout(t *testing.T) {
	f := newIdentityFake()
	s := identityServer(f)
	here, _ := signIn(t, s, "operator", "operator passphrase")
	there, _ := signIn(t, s, "operator", "operator passphrase")
	other, _ := signIn(t, s, "admin", "admin passphrase")

	w := idCall(s, "POST", "/api/v1/auth/logout", "", bearer(here))
	if w.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	cleared := 0
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			cleared++
		}
	}
	if cleared != 2 {
		t.Errorf("logout cleared %d cookies, want 2", cleared)
	}
	wantProblem(t, idCall(s, "GET", "/api/v1/auth/me", "", bearer(here)), http.StatusUnauthorized, "not signed in")
	if w := idCall(s, "GET", "/api/v1/auth/me", "", bearer(there)); w.Code != http.StatusOK {
		t.Fatalf("the other session after logout: %d", w.Code)
	}

	third, _ := signIn(t, s, "operator", "operator passphrase")
	if w := idCall(s, "POST", "/api/v1/auth/logout-all", "", bearer(third)); w.Code != http.StatusNoContent {
		t.Fatalf("logout-all: %d %s", w.Code, w.Body)
	}
	for _, tok := range []string{there, third} {
		wantProblem(t, idCall(s, "GET", "/api/v1/auth/me", "", bearer(tok)), http.StatusUnauthorized, "not signed in")
	}
	if w := idCall(s, "GET", "/api/v1/auth/me", "", bearer(other)); w.Code != http.StatusOK {
		t.Fatalf("another user's session after logout-all: %d", w.Code)
	}
}

func TestLoginLockoutAnswers(t *testing.T) {
	f := newIdentityFake()
	s := identityServer(f)
	bad := `{"username":"operator","password":"guess guess guess"}`
	for range f.policy.MaxFailures - 1 {
		wantProblem(t, idCall(s, "POST", "/api/v1/auth/login", bad, nil), http.StatusUnauthorized, "wrong username or password")
	}
	w := idCall(s, "POST", "/api/v1/auth/login", bad, nil)
	p := wantProblem(t, w, http.StatusLocked, "locked")
	if p.Code != fireline.ELOCKED || w.Header().Get("Retry-After") != "60" {
		t.Errorf("lock: code %s, Retry-After %q; want %s and 60", p.Code, w.Header().Get("Retry-After"), fireline.ELOCKED)
	}
	// Even the right password waits.
	w = idCall(s, "POST", "/api/v1/auth/login", `{"username":"operator","password":"operator passphrase"}`, nil)
	wantProblem(t, w, http.StatusLocked, "locked")
}

func TestUserAdminRoutes(t *testing.T) {
	f := newIdentityFake()
	s := identityServer(f)
	admin, _ := signIn(t, s, "admin", "admin passphrase")
	op, _ := signIn(t, s, "operator", "operator passphrase")

	// Not an administrator: refused, every route.
	routes := []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/users", ""},
		{"POST", "/api/v1/admin/users", `{"username":"x","role":"operator","password":"long enough pass"}`},
		{"GET", "/api/v1/admin/users/admin", ""},
		{"PATCH", "/api/v1/admin/users/admin", `{"disabled":true}`},
		{"POST", "/api/v1/admin/users/admin/password", `{"password":"long enough pass"}`},
		{"GET", "/api/v1/admin/users/admin/sessions", ""},
		{"DELETE", "/api/v1/admin/users/admin/sessions", ""},
	}
	for _, rt := range routes {
		w := idCall(s, rt.method, rt.path, rt.body, bearer(op))
		if w.Code != http.StatusForbidden {
			t.Errorf("operator %s %s: %d, want 403", rt.method, rt.path, w.Code)
		}
	}
	if len(f.accounts) != 2 || f.accounts["admin"].Disabled {
		t.Fatal("a refused call changed the users")
	}

	// An administrator creates a crew device, reads it, moves it, resets its password and
	// revokes its sessions.
	w := idCall(s, "POST", "/api/v1/admin/users", `{"username":"crew-E1","role":"field","unit_id":"E1","password":"crew passphrase"}`, bearer(admin))
	if w.Code != http.StatusCreated || w.Header().Get("Location") != "/api/v1/admin/users/crew-E1" {
		t.Fatalf("create: %d %s %v", w.Code, w.Body, w.Header())
	}
	wantProblem(t, idCall(s, "POST", "/api/v1/admin/users", `{"username":"li","role":"operator","password":"short"}`, bearer(admin)),
		http.StatusBadRequest, "password: must be at least 12 characters")
	wantProblem(t, idCall(s, "POST", "/api/v1/admin/users", `{"username":"crew-E1","role":"field","unit_id":"E1","password":"crew passphrase"}`, bearer(admin)),
		http.StatusConflict, "already exists")
	wantProblem(t, idCall(s, "POST", "/api/v1/admin/users", `{"username":"li","role":"operator","password":"long enough pass","admin":true}`, bearer(admin)),
		http.StatusBadRequest, "unknown field")
	crew, _ := signIn(t, s, "crew-E1", "crew passphrase")

	w = idCall(s, "GET", "/api/v1/admin/users", "", bearer(admin))
	var users []fireline.Account
	if err := json.Unmarshal(w.Body.Bytes(), &users); err != nil || len(users) != 3 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	w = idCall(s, "PATCH", "/api/v1/admin/users/crew-E1", `{"unit_id":"L1"}`, bearer(admin))
	if w.Code != http.StatusOK || f.accounts["crew-E1"].UnitID != "L1" {
		t.Fatalf("patch: %d %s", w.Code, w.Body)
	}
	wantProblem(t, idCall(s, "PATCH", "/api/v1/admin/users/crew-E1", `{"role":"operator","unit_id":"L1"}`, bearer(admin)),
		http.StatusBadRequest, "unit_id")
	wantProblem(t, idCall(s, "GET", "/api/v1/admin/users/nobody", "", bearer(admin)), http.StatusNotFound, "nobody does not exist")

	w = idCall(s, "GET", "/api/v1/admin/users/crew-E1/sessions", "", bearer(admin))
	var sessions []fireline.Session
	if err := json.Unmarshal(w.Body.Bytes(), &sessions); err != nil || len(sessions) != 1 {
		t.Fatalf("sessions: %d %s", w.Code, w.Body)
	}
	w = idCall(s, "DELETE", "/api/v1/admin/users/crew-E1/sessions", "", bearer(admin))
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"ended":1}` {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	wantProblem(t, idCall(s, "GET", "/api/v1/auth/me", "", bearer(crew)), http.StatusUnauthorized, "not signed in")

	if w := idCall(s, "POST", "/api/v1/admin/users/crew-E1/password", `{"password":"reset passphrase"}`, bearer(admin)); w.Code != http.StatusNoContent {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}
	signIn(t, s, "crew-E1", "reset passphrase")
}

func TestChangeOwnPassword(t *testing.T) {
	f := newIdentityFake()
	s := identityServer(f)
	old, _ := signIn(t, s, "operator", "operator passphrase")
	elsewhere, _ := signIn(t, s, "operator", "operator passphrase")
	wantProblem(t, idCall(s, "POST", "/api/v1/auth/password", `{"old_password":"wrong one","new_password":"a new passphrase"}`, bearer(old)),
		http.StatusBadRequest, "old_password")
	w := idCall(s, "POST", "/api/v1/auth/password", `{"old_password":"operator passphrase","new_password":"a new passphrase"}`, bearer(old))
	var resp loginResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); w.Code != http.StatusOK || err != nil || resp.Token == "" {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	for _, tok := range []string{old, elsewhere} {
		wantProblem(t, idCall(s, "GET", "/api/v1/auth/me", "", bearer(tok)), http.StatusUnauthorized, "not signed in")
	}
	if w := idCall(s, "GET", "/api/v1/auth/me", "", bearer(resp.Token)); w.Code != http.StatusOK {
		t.Errorf("the new session: %d", w.Code)
	}
	signIn(t, s, "operator", "a new passphrase")
}
