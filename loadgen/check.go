package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/internal/latency"
)

// Summary is what a run measured. Latencies are in milliseconds.
type Summary struct {
	// Load describes the plan, e.g. "--surge 600 --over 30s --duplicates 0.15".
	Load string `json:"load,omitempty"`
	// Label names the build or setting the run measured (loadgen --label), e.g. "before".
	Label   string `json:"label,omitempty"`
	Planned int    `json:"planned"`
	Sent    int    `json:"sent"`
	// Acknowledged alarms were answered 202; Lost are acknowledged alarms whose incident the
	// API cannot show (or that is not among its alarms); Failed were refused for good or never
	// answered.
	Acknowledged int      `json:"acknowledged"`
	Lost         int      `json:"lost"`
	LostAlarms   []string `json:"lost_alarms,omitempty"`
	Failed       int      `json:"failed"`
	// Unchecked alarms were acknowledged but could not be read back before the run's time
	// was up: neither found nor lost.
	Unchecked int      `json:"unchecked,omitempty"`
	Failures  []string `json:"failures,omitempty"`
	// Retried counts the alarms' resends (same source id) after no answer, a 429 or a 5xx.
	Retried int `json:"retried"`
	// Duplicates are the planned second callers; DuplicatesMerged those answered as merged
	// into their first report's incident; Merged every alarm answered as merged.
	Duplicates       int `json:"duplicates"`
	DuplicatesMerged int `json:"duplicates_merged"`
	Merged           int `json:"merged"`
	Incidents        int `json:"incidents"`
	// Recommended incidents had a recommended event on their timeline by the end.
	Recommended int     `json:"recommended"`
	AckP50      float64 `json:"ack_p50_ms"`
	AckP90      float64 `json:"ack_p90_ms"`
	AckP99      float64 `json:"ack_p99_ms"`
	AckMax      float64 `json:"ack_max_ms"`
	// Rec* are the recommendation's latency: the incident's recommended event minus its first
	// alarm's received_at, both the server's times.
	RecP50 float64 `json:"recommendation_p50_ms"`
	RecP90 float64 `json:"recommendation_p90_ms"`
	RecP99 float64 `json:"recommendation_p99_ms"`
	RecMax float64 `json:"recommendation_max_ms"`
	// Superseded counts the incidents whose recommendation made at intake was not taken over
	// by their workflow (a unit of it dispatched elsewhere meanwhile, or the incident assessed
	// anew): the operators had it, and Rec* count it, but a fresh one replaced it. Standing*
	// are the latency of the first recommendation that stood.
	Superseded  int     `json:"superseded_at_intake"`
	StandingP99 float64 `json:"standing_recommendation_p99_ms"`
	StandingMax float64 `json:"standing_recommendation_max_ms"`
	// Start* are the workflow's lag: the incident's first status event, which its workflow
	// writes when it starts, minus its first alarm's received_at. The recommendation may be in
	// the operators' hands before (made at intake); a growing lag is a pipeline falling behind.
	StartP50 float64 `json:"workflow_start_p50_ms"`
	StartP99 float64 `json:"workflow_start_p99_ms"`
	StartMax float64 `json:"workflow_start_max_ms"`
	// Played incidents were worked by operators and crews; Dispatches their dispatches;
	// DoubleDispatches the times a unit was on two of them at once (server times).
	Played           int      `json:"played"`
	Dispatches       int      `json:"dispatches"`
	DoubleDispatches int      `json:"double_dispatches"`
	Doubles          []string `json:"doubles,omitempty"`
	PlayErrors       []string `json:"play_errors,omitempty"`
	// LoadSeconds is the time from the first alarm to the last answer and the last crew's step.
	LoadSeconds float64 `json:"load_seconds"`
	TimedOut    bool    `json:"timed_out,omitempty"`
	// Receipts are the acknowledged alarms as their sources were answered, for `fireline
	// verify --alarms` to find in the database itself, not through the API. Not in the JSON
	// summary: a surge has thousands.
	Receipts []fireline.AckedAlarm `json:"-"`
}

// maxListed bounds the lists of lost alarms, failures and doubles kept in a summary.
const maxListed = 20

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// receipt is what the source of a was answered, keyed as intake stores it: a panel's event id
// is stored under its device's id (device:event), so that two panels' ids never collide.
func receipt(a Alarm, res sent) fireline.AckedAlarm {
	id := a.SourceID
	if a.Source == fireline.SourceIoT {
		id = a.DeviceID + ":" + a.SourceID
	}
	return fireline.AckedAlarm{Source: a.Source, SourceID: id, AlarmID: res.alarmID, IncidentID: res.incidentID}
}

// check reads back every acknowledged alarm's incident, its alarms and its timeline, at no more
// than ReadRate reads a second, waiting for a recommendation that has not come yet until the
// run's time is up.
func (r *runner) check(ctx context.Context) *Summary {
	s := &Summary{Planned: len(r.cfg.Plan), Sent: int(r.nSent.Load()), Retried: int(r.nRetried.Load()), Dispatches: int(r.nDispatches.Load())}
	var acks []time.Duration
	byIncident := map[int64][]int{}
	var order []int64
	for i, res := range r.results {
		a := r.cfg.Plan[i]
		if a.DuplicateOf >= 0 {
			s.Duplicates++
		}
		if res.failed != "" {
			s.Failed++
			if len(s.Failures) < maxListed {
				s.Failures = append(s.Failures, fmt.Sprintf("%s %s: %s", a.Source, a.SourceID, res.failed))
			}
		}
		if !res.acked {
			continue
		}
		s.Acknowledged++
		acks = append(acks, res.ackLatency)
		s.Receipts = append(s.Receipts, receipt(a, res))
		if res.merged {
			s.Merged++
			if a.DuplicateOf >= 0 && r.results[a.DuplicateOf].incidentID == res.incidentID {
				s.DuplicatesMerged++
			}
		}
		if res.incidentID != 0 {
			if _, ok := byIncident[res.incidentID]; !ok {
				order = append(order, res.incidentID)
			}
			byIncident[res.incidentID] = append(byIncident[res.incidentID], i)
		}
	}
	s.AckP50, s.AckP90, s.AckP99, s.AckMax = ms(latency.Of(acks, 0.5)), ms(latency.Of(acks, 0.9)), ms(latency.Of(acks, 0.99)), ms(latency.Of(acks, 1))
	s.Incidents = len(order)

	tick := time.NewTicker(time.Second / time.Duration(r.cfg.ReadRate))
	defer tick.Stop()
	read := func(path string, out any) (int, error) {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		code, raw, _, err := r.c.patient(ctx, "GET", path, r.op, nil, out)
		if err == nil && code != http.StatusOK && code != http.StatusNotFound {
			err = fmt.Errorf("GET %s: status %d: %.200s", path, code, raw)
		}
		return code, err
	}
	lost := func(i int, why string) {
		if ctx.Err() != nil {
			s.Unchecked++ // the run's time ran out before the API could be asked
			return
		}
		s.Lost++
		if len(s.LostAlarms) < maxListed {
			a := r.cfg.Plan[i]
			s.LostAlarms = append(s.LostAlarms, fmt.Sprintf("%s %s (alarm %d, incident %d): %s", a.Source, a.SourceID, r.results[i].alarmID, r.results[i].incidentID, why))
		}
	}
	played := map[int64]bool{}
	r.mu.Lock()
	for _, id := range r.played {
		played[id] = true
	}
	s.Played = len(r.played)
	s.PlayErrors = r.playErr
	r.mu.Unlock()
	var recs, standing, starts []time.Duration
	var held []holding
	type waiting struct {
		id     int64
		opened time.Time
	}
	var pending []waiting
	lastProgress := time.Now()
	progress := func(format string, args ...any) {
		if r.cfg.Progress != nil && time.Since(lastProgress) >= r.cfg.ProgressEvery {
			lastProgress = time.Now()
			fmt.Fprintf(r.cfg.Progress, "loadgen: "+format+"\n", args...)
		}
	}
	// First every incident and its alarms: what was lost, and when each incident opened.
	for k, id := range order {
		progress("checking incident %d of %d: %d lost so far", k+1, len(order), s.Lost)
		path := fmt.Sprintf("/api/v1/incidents/%d", id)
		var inc fireline.Incident
		code, err := read(path, &inc)
		if err != nil || code == http.StatusNotFound {
			for _, i := range byIncident[id] {
				lost(i, fmt.Sprintf("incident not shown (status %d, %v)", code, err))
			}
			continue
		}
		var alarms struct{ Alarms []fireline.Alarm }
		if _, err := read(path+"/alarms", &alarms); err != nil {
			for _, i := range byIncident[id] {
				lost(i, "alarms not shown: "+err.Error())
			}
			continue
		}
		received := map[int64]time.Time{}
		for _, a := range alarms.Alarms {
			received[a.ID] = a.ReceivedAt
		}
		var opened time.Time
		for _, i := range byIncident[id] {
			at, ok := received[r.results[i].alarmID]
			if !ok {
				lost(i, "not among its incident's alarms")
				continue
			}
			if !r.results[i].merged {
				opened = at
			}
		}
		if played[id] {
			for _, a := range inc.Assignments {
				held = append(held, holding{unit: a.UnitID, incident: id, from: a.DispatchedAt, to: a.ClearedAt})
			}
		}
		if !opened.IsZero() { // else every alarm of ours joined an incident someone else opened
			pending = append(pending, waiting{id, opened})
		}
	}
	// Then the timelines, round after round while recommendations are still on their way (the
	// pipeline may be behind), until all have come or the run's time is up.
	for len(pending) > 0 && ctx.Err() == nil {
		var still []waiting
		for _, w := range pending {
			progress("waiting for %d recommendations; %d recorded", len(pending), len(recs))
			var tl struct{ Events []fireline.TimelineEvent }
			if _, err := read(fmt.Sprintf("/api/v1/incidents/%d/timeline", w.id), &tl); err != nil {
				still = append(still, w)
				continue
			}
			i := slices.IndexFunc(tl.Events, func(e fireline.TimelineEvent) bool { return e.Kind == fireline.EventRecommended })
			j := slices.IndexFunc(tl.Events, func(e fireline.TimelineEvent) bool {
				return e.Kind == fireline.EventRecommended && e.Data["superseded"] == nil
			})
			if i < 0 || j < 0 { // none yet, or only intake's, superseded, with the fresh one on its way
				still = append(still, w)
				continue
			}
			s.Recommended++
			recs = append(recs, tl.Events[i].At.Sub(w.opened))
			standing = append(standing, tl.Events[j].At.Sub(w.opened))
			if i != j {
				s.Superseded++
			}
			if j := slices.IndexFunc(tl.Events, func(e fireline.TimelineEvent) bool { return e.Kind == fireline.EventStatusChanged }); j >= 0 {
				starts = append(starts, tl.Events[j].At.Sub(w.opened))
			}
		}
		pending = still
		if len(pending) > 0 {
			sleep(ctx, time.Second)
		}
	}
	s.RecP50, s.RecP90, s.RecP99, s.RecMax = ms(latency.Of(recs, 0.5)), ms(latency.Of(recs, 0.9)), ms(latency.Of(recs, 0.99)), ms(latency.Of(recs, 1))
	s.StandingP99, s.StandingMax = ms(latency.Of(standing, 0.99)), ms(latency.Of(standing, 1))
	s.StartP50, s.StartP99, s.StartMax = ms(latency.Of(starts, 0.5)), ms(latency.Of(starts, 0.99)), ms(latency.Of(starts, 1))
	for _, d := range Doubles(held) {
		s.DoubleDispatches++
		if len(s.Doubles) < maxListed {
			s.Doubles = append(s.Doubles, d)
		}
	}
	return s
}

// holding is a unit assigned to an incident from its dispatch until it cleared (to nil: not
// cleared), in the server's times.
type holding struct {
	unit     string
	incident int64
	from     time.Time
	to       *time.Time
}

// Doubles names every pair of a unit's assignments to two incidents that overlap in time.
func Doubles(held []holding) []string {
	byUnit := map[string][]holding{}
	for _, h := range held {
		byUnit[h.unit] = append(byUnit[h.unit], h)
	}
	units := make([]string, 0, len(byUnit))
	for u := range byUnit {
		units = append(units, u)
	}
	slices.Sort(units)
	var out []string
	for _, u := range units {
		hs := byUnit[u]
		slices.SortFunc(hs, func(a, b holding) int { return a.from.Compare(b.from) })
		for i := 1; i < len(hs); i++ {
			for _, prev := range hs[:i] {
				if prev.incident != hs[i].incident && (prev.to == nil || prev.to.After(hs[i].from)) {
					out = append(out, fmt.Sprintf("unit %s on incident %d from %s while still on incident %d", u, hs[i].incident,
						hs[i].from.Format(time.RFC3339Nano), prev.incident))
				}
			}
		}
	}
	return out
}
