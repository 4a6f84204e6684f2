package api

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fireline/fireline"
)

// RateLimit is a token bucket: Burst requests at once, refilled at Rate a second. A zero
// Rate is no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// RateLimits are the request budgets of one client. Each budget is counted twice: per client
// address, before anyone is signed in, and per signed-in user (or gateway), so that a
// centre's consoles behind one NAT address do not share one user's budget and a user on many
// addresses does not get many budgets. The zero value limits nothing.
type RateLimits struct {
	// Login is POST /auth/login per address: enough for a shift change behind one address,
	// far too few for guessing passwords.
	Login RateLimit
	// Intake is what devices post — alarms, warnings and units' position fixes — per address
	// and per gateway or tracker account. It must carry a real surge: a gateway relaying a
	// fire's detectors sends tens of alarms a second, and a fleet's trackers behind one
	// account report hundreds of units every few seconds.
	Intake RateLimit
	// Other is every other request, per address and per user.
	Other RateLimit
	// MaxClients bounds the buckets kept; idle clients' full buckets go first.
	MaxClients int
}

// DefaultRateLimits are budgets no real client reaches: a console loads its page, a few
// hundred assets and tiles in a burst, then a few requests a second; a gateway in a surge
// posts 50 alarms a second, a city's 500 trackers 100 fixes; a person signs in once a shift.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		Login:      RateLimit{Rate: 1, Burst: 20},
		Intake:     RateLimit{Rate: 200, Burst: 2000},
		Other:      RateLimit{Rate: 100, Burst: 1000},
		MaxClients: 100_000,
	}
}

// budget names which RateLimit a request draws on.
type budget int

const (
	budgetOther budget = iota
	budgetLogin
	budgetIntake
)

var budgetNames = map[budget]string{budgetOther: "other", budgetLogin: "login", budgetIntake: "intake"}

// budgetOf classifies a request by its route: the devices' posts, the login, the rest.
func budgetOf(r *http.Request) budget {
	if r.Method != http.MethodPost {
		return budgetOther
	}
	p, ok := strings.CutPrefix(r.URL.Path, "/api/v1/")
	switch {
	case !ok:
		return budgetOther
	case p == "auth/login":
		return budgetLogin
	case p == "alarms" || p == "warnings" || (strings.HasPrefix(p, "alarms/") && !strings.HasSuffix(p, "/confirm")),
		strings.HasPrefix(p, "units/") && strings.HasSuffix(p, "/position"):
		return budgetIntake
	}
	return budgetOther
}

// limiter keeps one token bucket per client and budget.
type limiter struct {
	limits RateLimits
	now    func() time.Time

	mu        sync.Mutex
	buckets   map[bucketKey]*bucket
	lastSweep time.Time
}

type bucketKey struct {
	client string // "a:" and an address, or "u:" and a username
	budget budget
}

type bucket struct {
	tokens float64
	at     time.Time
	// refusing is set from the first refusal until a request is let through again, so that
	// a throttled client is logged once per episode, not once per refused request.
	refusing bool
}

func newLimiter(l RateLimits, now func() time.Time) *limiter {
	if l.MaxClients <= 0 {
		l.MaxClients = DefaultRateLimits().MaxClients
	}
	return &limiter{limits: l, now: now, buckets: map[bucketKey]*bucket{}}
}

func (l *limiter) limit(b budget) RateLimit {
	switch b {
	case budgetLogin:
		return l.limits.Login
	case budgetIntake:
		return l.limits.Intake
	}
	return l.limits.Other
}

// take spends one token of the client's budget. When none is left it returns how long until
// one is, and whether this is the first refusal since the client was last let through.
func (l *limiter) take(client string, b budget) (ok bool, wait time.Duration, first bool) {
	lim := l.limit(b)
	if lim.Rate <= 0 {
		return true, 0, false
	}
	burst := float64(max(lim.Burst, 1))
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := bucketKey{client, b}
	bk, ok := l.buckets[k]
	if !ok {
		l.makeRoom(now)
		bk = &bucket{tokens: burst, at: now}
		l.buckets[k] = bk
	}
	bk.tokens = min(burst, bk.tokens+now.Sub(bk.at).Seconds()*lim.Rate)
	bk.at = now
	if bk.tokens >= 1 {
		bk.tokens--
		bk.refusing = false
		return true, 0, false
	}
	first = !bk.refusing
	bk.refusing = true
	return false, time.Duration((1 - bk.tokens) / lim.Rate * float64(time.Second)), first
}

// makeRoom keeps the buckets under MaxClients: when full it drops every bucket that has
// refilled (an idle client, the same as one never seen), at most once a second; when still
// full, an arbitrary one, so that a flood of addresses costs memory no more than MaxClients.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.limits.MaxClients {
		return
	}
	if now.Sub(l.lastSweep) >= time.Second {
		l.lastSweep = now
		for k, bk := range l.buckets {
			lim := l.limit(k.budget)
			if bk.tokens+now.Sub(bk.at).Seconds()*lim.Rate >= float64(max(lim.Burst, 1)) {
				delete(l.buckets, k)
			}
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.limits.MaxClients {
			break
		}
		delete(l.buckets, k)
	}
}

// clients returns how many buckets are kept.
func (l *limiter) clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// clientAddress is the budget's key of the request's client: its address as clientIP finds it
// (X-Forwarded-For only from --trusted-proxy proxies: anyone else can write it). An IPv6 client
// counts by its /64, which one host can fill with addresses at will.
func (s *Server) clientAddress(r *http.Request) string {
	// The client as the audit log names it: the peer, or behind a trusted proxy the address
	// it forwarded for. Else a centre behind its reverse proxy would share one budget.
	host := s.clientIP(r)
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// limitAddress refuses a client address over its budget with 429 and Retry-After.
func (s *Server) limitAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allow(w, r, "a:"+s.clientAddress(r), budgetOf(r)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitUser refuses a signed-in user over their budget; it runs after authenticate.
func (s *Server) limitUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := userFrom(r.Context()); u.Username != "" && !s.allow(w, r, "u:"+u.Username, budgetOf(r)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) allow(w http.ResponseWriter, r *http.Request, client string, b budget) bool {
	ok, wait, first := s.limiter.take(client, b)
	if ok {
		return true
	}
	if first {
		s.log.Warn("client over its request budget: refusing with 429 until it slows down", "client", client,
			"budget", budgetNames[b], "method", r.Method, "path", r.URL.Path)
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	s.writeError(w, r, fireline.Errorf(fireline.ETOOMANY, "too many requests from this client; retry in %d s", max(secs, 1)))
	return false
}
