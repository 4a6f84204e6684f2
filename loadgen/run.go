package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fireline/fireline"
)

// Config is one run against one Fireline.
type Config struct {
	// Base is the Fireline's URL, e.g. http://127.0.0.1:8080, or several API nodes' URLs
	// separated by commas, which requests take in turn (a resend goes to the next); only
	// loopback is accepted.
	Base string
	// Password is the demo users' password (operator, gateway, crew-<unit id>).
	Password string
	Plan     []Alarm
	// Play is how many of the incidents the alarms open are worked by operators and crews: a
	// dispatch of the recommendation after Think, each crew acknowledging, en route, on scene,
	// available CrewStep apart, then the close. 0 plays none.
	Play     int
	Think    time.Duration
	CrewStep time.Duration
	// Timeout bounds the whole run, the checks after the load included.
	Timeout time.Duration
	// AttemptTimeout is how long one request may go unanswered before it is sent again.
	AttemptTimeout time.Duration
	// Progress receives a line every ProgressEvery (nil: none).
	Progress      io.Writer
	ProgressEvery time.Duration
	// ReadRate bounds the checks' reads a second, below the API's budget for one client.
	ReadRate int
	HTTP     *http.Client
}

// sent is what became of one planned alarm.
type sent struct {
	acked      bool
	failed     string
	retries    int
	ackLatency time.Duration
	alarmID    int64
	incidentID int64
	merged     bool
}

// Run sends the plan, plays the operators and crews, then reads back every acknowledged
// alarm's incident and timeline and returns the figures. An error is a run that could not be
// made at all (no sign-in, a refused target); lost or failed alarms are in the Summary.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if err := CheckTargets(cfg.Base); err != nil {
		return nil, err
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 30 * time.Second
	}
	if cfg.ReadRate <= 0 {
		cfg.ReadRate = 60
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 5 * time.Second
	}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	c := newClient(cfg.Base, cfg.HTTP, cfg.AttemptTimeout)
	r := &runner{cfg: cfg, c: c, results: make([]sent, len(cfg.Plan)), crews: map[string]string{}, started: time.Now()}
	var err error
	if r.op, err = c.login(ctx, "operator", cfg.Password); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(cfg.Plan, func(a Alarm) bool { return a.Source != fireline.SourceCall }) {
		if r.gw, err = c.login(ctx, "gateway", cfg.Password); err != nil {
			return nil, err
		}
	}
	if cfg.Play > 0 {
		r.signInCrews(ctx)
	}
	r.started = time.Now() // the plan's times count from the first alarm
	stop := r.progress(ctx)
	r.send(ctx)
	r.plays.Wait()
	stop()
	sendEnd := time.Now()
	sum := r.check(ctx)
	sum.LoadSeconds = sendEnd.Sub(r.started).Seconds()
	if ctx.Err() != nil {
		sum.TimedOut = true
	}
	return sum, nil
}

type runner struct {
	cfg     Config
	c       *client
	op, gw  string
	started time.Time
	results []sent

	nSent, nAcked, nRetried, nFailed, nDispatches atomic.Int64

	mu      sync.Mutex
	crews   map[string]string // unit id → crew token
	played  []int64           // incidents worked by operators and crews
	playErr []string
	plays   sync.WaitGroup
}

// send sends each planned alarm at its time, each on its own goroutine, and waits for all.
func (r *runner) send(ctx context.Context) {
	var wg sync.WaitGroup
	for i, a := range r.cfg.Plan {
		wait := time.Until(r.started.Add(a.At))
		if wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			for j := i; j < len(r.cfg.Plan); j++ {
				r.results[j].failed = "not sent: the run's time was up"
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.sendOne(ctx, i, a)
		}()
	}
	wg.Wait()
}

// body is the alarm as its endpoint takes it.
func body(a Alarm, now time.Time) (path string, b map[string]any) {
	at := now.UTC().Format(time.RFC3339)
	switch a.Source {
	case fireline.SourcePublic:
		return "/api/v1/alarms/public", map[string]any{"report_id": a.SourceID, "channel": "app", "text": "load test: " + string(a.Type),
			"lat": a.Point.Lat, "lng": a.Point.Lng, "type": a.Type, "time": at}
	case fireline.SourceIoT:
		return "/api/v1/alarms/iot", map[string]any{"event_id": a.SourceID, "device_id": a.DeviceID, "kind": fireline.KindFireAlarm,
			"zone": "load test detector", "time": at}
	}
	return "/api/v1/alarms", map[string]any{"source": fireline.SourceCall, "source_id": a.SourceID, "type": a.Type,
		"lat": a.Point.Lat, "lng": a.Point.Lng, "address": "load test", "description": "load test call", "reported_at": at}
}

// sendOne posts one alarm until it is answered 202 or refused for good; a retry sends the very
// same body, so the source id is the same and the server answers the first alarm again.
func (r *runner) sendOne(ctx context.Context, i int, a Alarm) {
	path, b := body(a, time.Now())
	token := r.op
	if a.Source != fireline.SourceCall {
		token = r.gw
	}
	r.nSent.Add(1)
	var receipt struct {
		AlarmID    int64 `json:"alarm_id"`
		IncidentID int64 `json:"incident_id"`
		Merged     bool  `json:"merged"`
	}
	began := time.Now()
	res := &r.results[i]
	first := r.c.start()
	for attempt := 0; ; attempt++ {
		code, raw, resp, err := r.c.callKeyed(ctx, first+attempt, "POST", path, token, "", b, &receipt)
		switch {
		case err == nil && code == http.StatusAccepted:
			res.acked, res.ackLatency = true, time.Since(began)
			res.alarmID, res.incidentID, res.merged = receipt.AlarmID, receipt.IncidentID, receipt.Merged
			r.nAcked.Add(1)
			if !receipt.Merged && receipt.IncidentID != 0 {
				r.maybePlay(ctx, receipt.IncidentID)
			}
			return
		case err == nil && !retryable(code):
			res.failed = fmt.Sprintf("status %d: %.200s", code, raw)
			r.nFailed.Add(1)
			return
		}
		select {
		case <-ctx.Done():
			res.failed = fmt.Sprintf("unanswered when the run's time was up (last: status %d, %v)", code, err)
			r.nFailed.Add(1)
			return
		case <-time.After(retryAfter(resp, attempt)):
		}
		res.retries++
		r.nRetried.Add(1)
	}
}

// progress writes a line every ProgressEvery until stopped.
func (r *runner) progress(ctx context.Context) (stop func()) {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(r.cfg.Progress, "loadgen: %4.0fs sent %d/%d acknowledged %d retried %d failed %d dispatches %d\n",
					time.Since(r.started).Seconds(), r.nSent.Load(), len(r.cfg.Plan), r.nAcked.Load(), r.nRetried.Load(), r.nFailed.Load(), r.nDispatches.Load())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// maybePlay starts operators and crews on a new incident while fewer than Play are worked.
func (r *runner) maybePlay(ctx context.Context, incident int64) {
	r.mu.Lock()
	if len(r.played) >= r.cfg.Play {
		r.mu.Unlock()
		return
	}
	r.played = append(r.played, incident)
	r.mu.Unlock()
	r.plays.Add(1)
	go func() {
		defer r.plays.Done()
		if err := r.play(ctx, incident); err != nil {
			r.mu.Lock()
			r.playErr = append(r.playErr, fmt.Sprintf("incident %d: %v", incident, err))
			r.mu.Unlock()
		}
	}()
}

// play works one incident as the console and the field page do.
func (r *runner) play(ctx context.Context, id int64) error {
	sleep(ctx, r.cfg.Think)
	path := fmt.Sprintf("/api/v1/incidents/%d", id)
	var units []string
	for try := 0; len(units) == 0; try++ {
		var inc fireline.Incident
		code, raw, _, err := r.c.patient(ctx, "GET", path, r.op, nil, &inc)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("read: status %d: %.200s", code, raw)
		}
		if len(inc.Recommendation) == 0 {
			if try > 120 || ctx.Err() != nil {
				return errors.New("no recommendation to dispatch")
			}
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		ids := make([]string, len(inc.Recommendation))
		for k, rec := range inc.Recommendation {
			ids[k] = rec.UnitID
		}
		var after fireline.Incident
		code, raw, _, err = r.c.patient(ctx, "POST", path+"/dispatch", r.op, map[string]any{"unit_ids": ids}, &after)
		if err != nil {
			return err
		}
		switch code {
		case http.StatusOK:
			r.nDispatches.Add(1)
			for _, a := range after.Assignments {
				if a.ClearedAt == nil {
					units = append(units, a.UnitID)
				}
			}
		case http.StatusConflict:
			// Another incident took a recommended unit first: read the new recommendation.
			if try > 10 {
				return fmt.Errorf("dispatch: still conflicting: %.200s", raw)
			}
			sleep(ctx, 500*time.Millisecond)
		default:
			return fmt.Errorf("dispatch: status %d: %.200s", code, raw)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(units))
	for k, u := range units {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = r.crew(ctx, u)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	code, raw, _, err := r.c.patient(ctx, "POST", path+"/close", r.op, map[string]string{"reason": "load test: done"}, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("close: status %d: %.200s", code, raw)
	}
	return nil
}

// signInCrews signs in units' crews before the first alarm, as crews on shift are before a
// surge: a sign-in is a password check, tens of milliseconds of the server's processor, which
// dozens of crews signing in at their first dispatch took from intake in the surge's first
// seconds. It goes on while the server's login budget for this one address lasts (a 429 ends
// it: crews on their own tablets would not share one); the others sign in at their first
// dispatch.
func (r *runner) signInCrews(ctx context.Context) {
	var list struct {
		Units []struct {
			ID string `json:"id"`
		} `json:"units"`
	}
	if code, _, _, err := r.c.patient(ctx, "GET", "/api/v1/units", r.op, nil, &list); err != nil || code != http.StatusOK {
		return
	}
	for _, u := range list.Units {
		var res struct {
			Token string `json:"token"`
		}
		code, _, _, err := r.c.callKeyed(ctx, r.c.start(), "POST", "/api/v1/auth/login", "", "",
			map[string]string{"username": "crew-" + u.ID, "password": r.cfg.Password}, &res)
		if err != nil || code == http.StatusTooManyRequests || ctx.Err() != nil {
			return
		}
		if code == http.StatusOK && res.Token != "" {
			r.crews[u.ID] = res.Token
		}
	}
}

// crew moves one unit through its statuses as its crew's field page does.
func (r *runner) crew(ctx context.Context, unit string) error {
	r.mu.Lock()
	token, ok := r.crews[unit]
	r.mu.Unlock()
	if !ok {
		var err error
		if token, err = r.c.login(ctx, "crew-"+unit, r.cfg.Password); err != nil {
			return err
		}
		r.mu.Lock()
		r.crews[unit] = token
		r.mu.Unlock()
	}
	for _, st := range []fireline.UnitStatus{fireline.UnitAcknowledged, fireline.UnitEnRoute, fireline.UnitOnScene, fireline.UnitAvailable} {
		sleep(ctx, r.cfg.CrewStep)
		code, raw, _, err := r.c.patient(ctx, "POST", "/api/v1/units/"+unit+"/status", token, map[string]string{"status": string(st)}, nil)
		if err != nil {
			return err
		}
		if code != http.StatusAccepted && code != http.StatusOK {
			return fmt.Errorf("unit %s %s: status %d: %.200s", unit, st, code, raw)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
