package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clock is a settable clock for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// limitedServer is an intake server whose limiter runs on a clock of the test's.
func limitedServer(t *testing.T, l RateLimits) (*Server, *intakeStore, *clock) {
	t.Helper()
	s, st, _ := newIntakeServer(t)
	c := &clock{t: now}
	s.limiter = newLimiter(l, c.now)
	return s, st, c
}

func sendFrom(s *Server, method, path, addr, token, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = addr
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// A client over its budget gets 429 problem JSON with Retry-After in whole seconds, and its
// budget refills with time; another client is unaffected.
func TestRateLimitRefusesWithRetryAfter(t *testing.T) {
	s, _, c := limitedServer(t, RateLimits{Login: RateLimit{Rate: 0.5, Burst: 3}})
	login := func(addr string) *httptest.ResponseRecorder {
		return sendFrom(s, "POST", "/api/v1/auth/login", addr, "", "application/json", `{}`)
	}
	for i := range 3 {
		if w := login("192.0.2.1:4000"); w.Code != http.StatusBadRequest {
			t.Fatalf("login %d: %d %s, want the handler's 400", i, w.Code, w.Body)
		}
	}
	w := login("192.0.2.1:4001") // another port of the same address
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" ||
		w.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(w.Body.String(), `"code":"too_many"`) {
		t.Fatalf("4th login: %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if w := login("192.0.2.2:4000"); w.Code != http.StatusBadRequest {
		t.Fatalf("another address: %d, want its own budget", w.Code)
	}
	c.t = c.t.Add(2 * time.Second)
	if w := login("192.0.2.1:4000"); w.Code != http.StatusBadRequest {
		t.Fatalf("after Retry-After: %d, want a refilled token", w.Code)
	}
	if w := login("192.0.2.1:4000"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("then: %d, want 429 again", w.Code)
	}
}

// The default budgets carry a gateway's surge: 50 alarms a second for 20 seconds from one
// address and one gateway login are all taken, while a login flood from one address is
// refused well before a hundred guesses.
func TestDefaultRateLimitsCarryASurge(t *testing.T) {
	s, st, c := limitedServer(t, DefaultRateLimits())
	for i := range 1000 {
		if i%50 == 0 {
			c.t = c.t.Add(time.Second)
		}
		body := strings.Replace(iotBody, `"E1"`, fmt.Sprintf(`"E%d"`, i), 1)
		w := sendFrom(s, "POST", "/api/v1/alarms/iot", "198.51.100.7:5000", "gateway", "application/json", body)
		if w.Code != http.StatusAccepted {
			t.Fatalf("alarm %d of a 50/s surge: %d %s", i, w.Code, w.Body)
		}
	}
	if len(st.alarms) != 1000 {
		t.Fatalf("%d alarms stored, want 1000", len(st.alarms))
	}
	refused := 0
	for range 100 {
		switch w := sendFrom(s, "POST", "/api/v1/auth/login", "203.0.113.9:1", "", "application/json", `{"username":"a","password":"b"}`); w.Code {
		case http.StatusTooManyRequests:
			refused++
		case http.StatusUnauthorized: // a guess within the budget, and wrong
		default:
			t.Fatalf("a login guess: %d %s", w.Code, w.Body)
		}
	}
	if refused < 70 {
		t.Fatalf("%d of 100 rapid logins refused, want most", refused)
	}
}

// A signed-in user's budget follows them across addresses.
func TestRateLimitPerUser(t *testing.T) {
	s, _, _ := limitedServer(t, RateLimits{Other: RateLimit{Rate: 1, Burst: 5}})
	for i := range 5 {
		// Each request from a new address: the address budgets never run out.
		addr := "192.0.2." + strconv.Itoa(10+i) + ":1"
		if w := sendFrom(s, "GET", "/api/v1/auth/me", addr, "dispatcher", "", ""); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	if w := sendFrom(s, "GET", "/api/v1/auth/me", "192.0.2.99:1", "dispatcher", "", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("6th request of one user from a 6th address: %d, want 429", w.Code)
	}
	if w := sendFrom(s, "GET", "/api/v1/auth/me", "192.0.2.99:1", "supervisor", "", ""); w.Code == http.StatusTooManyRequests {
		t.Fatalf("another user from an address with budget left: 429")
	}
}

func TestBudgetOf(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         budget
	}{
		{"POST", "/api/v1/auth/login", budgetLogin},
		{"POST", "/api/v1/alarms", budgetIntake},
		{"POST", "/api/v1/alarms/iot", budgetIntake},
		{"POST", "/api/v1/warnings", budgetIntake},
		{"POST", "/api/v1/alarms/7/confirm", budgetOther},
		{"POST", "/api/v1/units/E-1/position", budgetIntake},
		{"POST", "/api/v1/units/E-1/status", budgetOther},
		{"GET", "/api/v1/warnings", budgetOther},
		{"GET", "/api/v1/auth/login", budgetOther},
		{"POST", "/api/v1/incidents/7/dispatch", budgetOther},
	} {
		if got := budgetOf(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("%s %s: budget %d, want %d", c.method, c.path, got, c.want)
		}
	}
}

// The limiter keeps at most MaxClients buckets however many addresses come, and an idle
// client's refilled bucket is dropped first.
func TestLimiterMemoryBounded(t *testing.T) {
	c := &clock{t: now}
	l := newLimiter(RateLimits{Other: RateLimit{Rate: 10, Burst: 10}, MaxClients: 100}, c.now)
	for i := range 10_000 {
		l.take(fmt.Sprintf("a:10.0.%d.%d", i/256, i%256), budgetOther)
		if n := l.clients(); n > 100 {
			t.Fatalf("after %d clients: %d buckets kept", i+1, n)
		}
	}
	// A busy client survives a sweep of idle ones: after a second the others have refilled.
	for range 10 {
		l.take("a:busy", budgetOther)
	}
	c.t = c.t.Add(1100 * time.Millisecond)
	l.take("a:newcomer", budgetOther)
	if n := l.clients(); n > 3 {
		t.Fatalf("%d buckets after the sweep, want only the busy client and the newcomer", n)
	}
}

func TestClientAddress(t *testing.T) {
	for _, c := range []struct{ remote, want string }{
		{"192.0.2.1:443", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:443", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:1", "2001:db8:1:2::/64"},
		{"pipe", "pipe"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if got := (&Server{}).clientAddress(r); got != c.want {
			t.Errorf("%s: %s, want %s", c.remote, got, c.want)
		}
	}
}

// Behind a trusted reverse proxy each client has its own login budget, taken by the address the
// proxy forwarded for; from anyone else the header is ignored.
func TestRateLimitBehindTrustedProxy(t *testing.T) {
	s, _, _ := limitedServer(t, RateLimits{Login: RateLimit{Rate: 0.001, Burst: 2}, Other: RateLimit{Rate: 100, Burst: 100}})
	s.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}
	login := func(peer, forwarded string) int {
		r := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"username":"a","password":"b"}`))
		r.RemoteAddr, r.Header["Content-Type"] = peer, []string{"application/json"}
		if forwarded != "" {
			r.Header.Set("X-Forwarded-For", forwarded)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	for _, client := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		for i := range 2 {
			if code := login("10.0.0.1:4000", client); code == http.StatusTooManyRequests {
				t.Fatalf("client %s, attempt %d through the proxy: 429, its own budget is not spent", client, i+1)
			}
		}
		if code := login("10.0.0.1:4000", client); code != http.StatusTooManyRequests {
			t.Fatalf("client %s, third attempt: %d, want 429", client, code)
		}
	}
	// An untrusted peer's X-Forwarded-For is its own invention: its budget is its own address's.
	for range 2 {
		login("203.0.113.5:1", "198.51.100.77")
	}
	if code := login("203.0.113.5:1", "198.51.100.78"); code != http.StatusTooManyRequests {
		t.Fatalf("a spoofed X-Forwarded-For bought a fresh budget: %d", code)
	}
}
