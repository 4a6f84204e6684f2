package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// CheckLoopback refuses a target that is not on this machine: a load generator pointed at a
// real centre would bury its operators in invented alarms.
func CheckLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q: want http://127.0.0.1:PORT or another loopback URL", base)
	}
	h := u.Hostname()
	if h == "localhost" {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("target %q: loadgen drives only a Fireline on this machine, at a loopback address (127.0.0.0/8, ::1 or localhost), never a real centre", base)
}

// retryable says whether an answer is worth sending again: the server could not take it now.
func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// retryAfter is how long the answer asks the client to wait, else the attempt's backoff: from
// 200 ms doubling to 30 s, with ±50% jitter so that the alarms a stall left unanswered do not
// all come back at once. A fixed short pause made a stalled server's queue grow faster than it
// drained: every resend cancelled work the server had begun.
func retryAfter(resp *http.Response, attempt int) time.Duration {
	if resp != nil {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
	}
	d := min(200*time.Millisecond<<min(attempt, 8), 30*time.Second)
	return d/2 + rand.N(d)
}

// client sends JSON requests to a Fireline, through one or more of its API nodes.
type client struct {
	// bases are the targets: a request's first attempt goes to the next one in turn, as a
	// balancer would send it, and each resend to the one after, so a node that died with a
	// request in flight is not asked again.
	bases   []string
	turn    atomic.Uint64
	http    *http.Client
	attempt time.Duration
}

// newClient is a client of the comma-separated targets base.
func newClient(base string, hc *http.Client, attempt time.Duration) *client {
	return &client{bases: strings.Split(base, ","), http: hc, attempt: attempt}
}

// start is the turn of a request's first attempt; attempt n of it goes to target start+n.
func (c *client) start() int { return int(c.turn.Add(1) - 1) }

// CheckTargets checks each of the comma-separated targets with CheckLoopback.
func CheckTargets(targets string) error {
	for _, t := range strings.Split(targets, ",") {
		if err := CheckLoopback(t); err != nil {
			return err
		}
	}
	return nil
}

// errGaveUp is a request that kept failing until its context ended.
var errGaveUp = errors.New("gave up")

// callKeyed sends one request (body JSON-encoded when not nil) as the given turn (see start),
// with an idempotency key (none when key is ""), and decodes a 2xx answer into out. It returns
// the status and the body; a transport error or a timeout is status 0.
func (c *client) callKeyed(ctx context.Context, turn int, method, path, token, key string, body, out any) (int, []byte, *http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	actx, cancel := context.WithTimeout(ctx, c.attempt)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, method, c.bases[turn%len(c.bases)]+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, resp, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, raw, resp, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return resp.StatusCode, raw, resp, nil
}

// patient sends a request until it is answered with something other than 429, 5xx or no
// answer, waiting as the server asks; it returns the final status and body, and how many
// times it sent again.
func (c *client) patient(ctx context.Context, method, path, token string, body, out any) (int, []byte, int, error) {
	// An incident's order keeps one idempotency key over its resends, as the console's does:
	// an order carried out although its answer was a 503 is not carried out, or refused, again.
	var key string
	if method == http.MethodPost && strings.HasPrefix(path, "/api/v1/incidents/") {
		key = fmt.Sprintf("loadgen-%016x", rand.Uint64())
	}
	first := c.start()
	for attempt := 0; ; attempt++ {
		code, raw, resp, err := c.callKeyed(ctx, first+attempt, method, path, token, key, body, out)
		if err == nil && !retryable(code) {
			return code, raw, attempt, nil
		}
		if code >= 200 && code < 300 {
			return code, raw, attempt, err // a decode error: sending again would not help
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("status %d: %s", code, bytes.TrimSpace(raw))
			}
			return code, raw, attempt, fmt.Errorf("%s %s: %w: %w", method, path, errGaveUp, err)
		case <-time.After(retryAfter(resp, attempt)):
		}
	}
}

// login signs a user in with the password and returns the bearer token.
func (c *client) login(ctx context.Context, user, password string) (string, error) {
	var res struct {
		Token string `json:"token"`
	}
	code, raw, _, err := c.patient(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, &res)
	if err != nil {
		return "", fmt.Errorf("sign in as %s: %w", user, err)
	}
	if code != http.StatusOK || res.Token == "" {
		return "", fmt.Errorf("sign in as %s: status %d: %s", user, code, bytes.TrimSpace(raw))
	}
	return res.Token, nil
}
