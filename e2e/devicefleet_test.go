package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/gb26875/devicesim"
	"github.com/fireline/fireline/internal/benchdoc"
	"github.com/fireline/fireline/internal/latency"
)

// fleetSize and fleetAlarms are the acceptance figures: a thousand transmission devices
// connected at once with heartbeats, and a burst of a hundred fire alarms from different
// buildings. FIRELINE_FLEET_DEVICES, FIRELINE_FLEET_ALARMS and FIRELINE_FLEET_HEARTBEAT change
// them for the benchmark (make bench-devices), which also sets FIRELINE_FLEET_BENCHMARKS to the
// BENCHMARKS.md whose section the figures rewrite (and FIRELINE_FLEET_CMD to the command).
const (
	fleetSize      = 1000
	fleetAlarms    = 100
	fleetHeartbeat = 10 * time.Second
	fleetFirst     = 0x0635_0001_0000 // the fleet's first address, clear of the sample city's
)

// FleetFigures are what TestDeviceFleetBurst measured, for BENCHMARKS.md.
type FleetFigures struct {
	Devices          int     `json:"devices"`
	Alarms           int     `json:"alarms"`
	HeartbeatSeconds float64 `json:"heartbeat_s"`
	ConnectSeconds   float64 `json:"connect_s"`
	// Heartbeats sent and confirmed over the run.
	HeartbeatsSent      int64       `json:"heartbeats_sent"`
	HeartbeatsConfirmed int64       `json:"heartbeats_confirmed"`
	HeartbeatMillis     Percentiles `json:"heartbeat_ms"`
	// The burst over TCP: each fire alarm's confirm, and the incidents it opened.
	Confirmed       int         `json:"confirmed"`
	Resends         int         `json:"resends"`
	ConfirmMillis   Percentiles `json:"confirm_ms"`
	Incidents       int         `json:"incidents"`
	RecommendMillis Percentiles `json:"recommend_ms"`
	// The same burst through the JSON panel endpoint, same run: its acknowledgements and the
	// incidents it opened.
	JSONAcked           int         `json:"json_acked"`
	JSONAckMillis       Percentiles `json:"json_ack_ms"`
	JSONIncidents       int         `json:"json_incidents"`
	JSONRecommendMillis Percentiles `json:"json_recommend_ms"`
}

// Percentiles are a latency's nearest-rank percentiles in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentiles(ds []time.Duration) Percentiles {
	ms := func(p float64) float64 { return float64(latency.Of(ds, p).Microseconds()) / 1000 }
	return Percentiles{P50: ms(0.5), P90: ms(0.9), P99: ms(0.99), Max: ms(1)}
}

func envInt(t *testing.T, key string, def int) int {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", key, v)
	}
	return n
}

// fleetPoint places device i on a grid of about 550 m around the old city, 32 to a row, so
// every tenth device (the ones that raise an alarm) stands kilometres from the next and each
// alarm is an incident of its own.
func fleetPoint(i int) fireline.Point {
	return fireline.Point{Lat: 36.40 + float64(i/32)*0.005, Lng: 115.89 + float64(i%32)*0.006}
}

// TestDeviceFleetBurst connects a thousand simulated transmission devices at once, each with
// its heartbeat, and sends a burst of a hundred fire alarms from different buildings: every one
// is confirmed, and every one opens its incident with a recommendation. The same burst through
// the JSON panel endpoint, in the same run, is the baseline the figures are compared with.
func TestDeviceFleetBurst(t *testing.T) {
	// Parallel with the other waiting tests in make test; its figures for BENCHMARKS.md come
	// from make bench-devices, which runs it alone.
	t.Parallel()
	devices := envInt(t, "FIRELINE_FLEET_DEVICES", fleetSize)
	alarms := envInt(t, "FIRELINE_FLEET_ALARMS", fleetAlarms)
	heartbeat := time.Duration(envInt(t, "FIRELINE_FLEET_HEARTBEAT", int(fleetHeartbeat/time.Second))) * time.Second
	if alarms*10 > devices {
		t.Fatalf("%d alarms from %d devices: every tenth device raises one, so at most %d", alarms, devices, devices/10)
	}
	s := newStack(t)
	s.start()
	admin, op, gw := s.login("admin"), s.login("operator"), s.login("gateway")

	// Every simulated device is registered as a building of its own; a hundred JSON panels
	// stand beside the ones that stay quiet, for the baseline.
	began := time.Now()
	register(t, s, admin, devices, func(i int) fireline.Device {
		return fireline.Device{ID: fmt.Sprintf("UITD-FLEET-%04d", i), Building: fmt.Sprintf("Fleet building %d", i),
			Point: fleetPoint(i), Address: addressOf(uint64(fleetFirst + i))}
	})
	register(t, s, admin, alarms, func(k int) fireline.Device {
		return fireline.Device{ID: fmt.Sprintf("FAP-FLEET-%04d", k), Building: fmt.Sprintf("Fleet panel %d", k),
			Point: fleetPoint(10*k + 5)}
	})
	t.Logf("registered %d transmission devices and %d JSON panels in %s", devices, alarms, time.Since(began).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	began = time.Now()
	fleet, err := devicesim.Start(ctx, devicesim.Config{
		Addr: s.gbAddr(), Count: devices, FirstAddress: fleetFirst, Heartbeat: heartbeat,
		AnswerTimeout: 10 * time.Second, Location: shanghai(t),
	})
	if err != nil {
		t.Fatalf("device simulator: %v", err)
	}
	defer fleet.Close()
	fig := FleetFigures{Devices: devices, Alarms: alarms, HeartbeatSeconds: heartbeat.Seconds(), ConnectSeconds: time.Since(began).Seconds()}
	// Let every device beat at least once before the burst.
	eventually(t, heartbeat+30*time.Second, func() (bool, string) {
		st := fleet.Stats()
		return st.HeartbeatsConfirmed >= int64(devices), fmt.Sprintf("heartbeats confirmed %d of %d devices", st.HeartbeatsConfirmed, devices)
	})

	// The burst over TCP: a hundred detectors in a hundred buildings at once.
	sentAt := time.Now()
	results := make([]devicesim.Result, alarms)
	errs := make([]error, alarms)
	var wg sync.WaitGroup
	for k := range alarms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := gb26875.TimestampOf(time.Now().In(shanghai(t)))
			results[k], errs[k] = fleet.FireAlarm(ctx, 10*k, gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40,
				ComponentAddress: uint32(k + 1), Description: fmt.Sprintf("%d号楼3F烟感", 10*k), At: ts})
		}()
	}
	wg.Wait()
	var confirms []time.Duration
	for k, err := range errs {
		if err != nil {
			t.Errorf("fire alarm %d: %v", k, err)
			continue
		}
		confirms = append(confirms, results[k].Latency)
		fig.Resends += results[k].Resends
	}
	fig.Confirmed, fig.ConfirmMillis = len(confirms), percentiles(confirms)
	tcp := deviceIncidents(t, s, op, alarms, func(k int) string { return fmt.Sprintf("UITD-FLEET-%04d", 10*k) }, sentAt)
	fig.Incidents, fig.RecommendMillis = len(tcp), percentiles(tcp)

	// The same burst through the JSON panel endpoint.
	sentAt = time.Now()
	acks := make([]time.Duration, alarms)
	codes := make([]int, alarms)
	for k := range alarms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			codes[k], _ = s.call("POST", "/api/v1/alarms/iot", gw, map[string]any{
				"event_id": fmt.Sprintf("burst-%d", k), "device_id": fmt.Sprintf("FAP-FLEET-%04d", k), "kind": "fire_alarm",
				"floor": "3F", "zone": "smoke detector", "time": time.Now().UTC().Format(time.RFC3339),
			}, nil)
			acks[k] = time.Since(t0)
		}()
	}
	wg.Wait()
	var jsonAcks []time.Duration
	for k, c := range codes {
		if c != http.StatusAccepted {
			t.Errorf("JSON panel alarm %d: status %d", k, c)
			continue
		}
		jsonAcks = append(jsonAcks, acks[k])
	}
	fig.JSONAcked, fig.JSONAckMillis = len(jsonAcks), percentiles(jsonAcks)
	js := deviceIncidents(t, s, op, alarms, func(k int) string { return fmt.Sprintf("FAP-FLEET-%04d", k) }, sentAt)
	fig.JSONIncidents, fig.JSONRecommendMillis = len(js), percentiles(js)

	st := fleet.Stats()
	fig.HeartbeatsSent, fig.HeartbeatsConfirmed = st.HeartbeatsSent, st.HeartbeatsConfirmed
	fig.HeartbeatMillis = percentiles(st.HeartbeatLatencies)
	if st.Denied != 0 {
		t.Errorf("simulator stats %+v: no frame of a sound device may be denied", st)
	}
	out, _ := json.MarshalIndent(fig, "", "  ")
	t.Logf("figures:\n%s", out)
	if fig.Confirmed != alarms || fig.Incidents != alarms {
		t.Errorf("%d of %d fire alarms confirmed, %d incidents opened: nothing may be lost", fig.Confirmed, alarms, fig.Incidents)
	}
	if path := os.Getenv("FIRELINE_FLEET_BENCHMARKS"); path != "" && !t.Failed() {
		if err := benchdoc.Splice(path, fig.markdown(os.Getenv("FIRELINE_FLEET_CMD"), time.Now().UTC()), fleetBegin, fleetEnd); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}

// The markers of the fleet's section of BENCHMARKS.md.
const (
	fleetBegin = "<!-- bench-devices:begin -->"
	fleetEnd   = "<!-- bench-devices:end -->"
)

// markdown is the figures as BENCHMARKS.md's generated section.
func (f FleetFigures) markdown(cmd string, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n<!-- Generated by scripts/bench-devices.sh (TestDeviceFleetBurst); edit outside the markers. -->\n\n", fleetBegin)
	fmt.Fprintf(&b, "Run %s on this machine (%s, %d logical CPUs, %s), `fireline dev` on the same machine.\n\n",
		at.Format("2006-01-02 15:04 UTC"), runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if cmd != "" {
		fmt.Fprintf(&b, "Command: `%s`\n\n", cmd)
	}
	fmt.Fprintf(&b, "%s transmission devices connected in %.1f s, each sending its state every %.0f s: %s heartbeats sent, %s confirmed (confirm p50 %.0f ms, p99 %.0f ms).\n\n",
		benchdoc.Thousands(f.Devices), f.ConnectSeconds, f.HeartbeatSeconds, benchdoc.Thousands(int(f.HeartbeatsSent)), benchdoc.Thousands(int(f.HeartbeatsConfirmed)),
		f.HeartbeatMillis.P50, f.HeartbeatMillis.P99)
	fmt.Fprintf(&b, "A burst of %d fire alarms from %d buildings at once, over GB/T 26875.3 and, as the baseline in the same run, "+
		"through the JSON panel endpoint (`POST /api/v1/alarms/iot`):\n\n", f.Alarms, f.Alarms)
	b.WriteString("| | answered | answer p50 | p90 | p99 | max | incidents | alarm → recommendation p50 | p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, n int, ans Percentiles, inc int, rec Percentiles) {
		fmt.Fprintf(&b, "| %s | %d of %d | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %d | %.0f ms | %.0f ms |\n",
			name, n, f.Alarms, ans.P50, ans.P90, ans.P99, ans.Max, inc, rec.P50, rec.P99)
	}
	row("**GB/T 26875.3 over TCP** (confirm)", f.Confirmed, f.ConfirmMillis, f.Incidents, f.RecommendMillis)
	row("baseline: JSON over HTTP (202)", f.JSONAcked, f.JSONAckMillis, f.JSONIncidents, f.JSONRecommendMillis)
	if f.JSONAckMillis.P50 > 0 && f.JSONRecommendMillis.P50 > 0 {
		fmt.Fprintf(&b, "\nIn the same run the device's confirm came at ×%.2f the JSON answer's median time, and the recommendation at ×%.2f. "+
			"Both answers come only after the alarm is stored and handed to its incident; the recommendation is timed from the burst's start, "+
			"so it includes the queue the burst itself makes.\n", f.ConfirmMillis.P50/f.JSONAckMillis.P50, f.RecommendMillis.P50/f.JSONRecommendMillis.P50)
	}
	fmt.Fprintf(&b, "\nFrames resent after a lost confirm: %d. Lost: %d fire alarms.\n\n%s", f.Resends, f.Alarms-f.Incidents, fleetEnd)
	return b.String()
}

// register creates n devices through the administrators' API, eight at a time.
func register(t *testing.T, s *stack, token string, n int, dev func(int) fireline.Device) {
	t.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	failed := make(chan string, n)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				for try := 0; ; try++ {
					code, raw := s.call("POST", "/api/v1/admin/devices", token, dev(i), nil)
					if code == http.StatusTooManyRequests && try < 20 {
						time.Sleep(time.Second)
						continue
					}
					if code != http.StatusCreated {
						failed <- fmt.Sprintf("device %d: status %d: %s", i, code, raw)
					}
					break
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Fatal(f)
	}
}

// patientGet reads path like s.must, waiting out the API's request budget: the test reads a
// hundred incidents' alarms and timelines from one address, faster than a console does.
func patientGet(t *testing.T, s *stack, path, token string, out any) {
	t.Helper()
	for try := 0; ; try++ {
		code, raw := s.call("GET", path, token, nil, out)
		switch {
		case code == http.StatusOK:
			return
		case code == http.StatusTooManyRequests && try < 60:
			time.Sleep(time.Second)
		default:
			t.Fatalf("GET %s: status %d: %s", path, code, raw)
		}
	}
}

// deviceIncidents waits until each of the n devices' fire alarms has its incident with a
// recommendation, and returns, per incident, the time from sentAt to the recommendation on
// its timeline.
func deviceIncidents(t *testing.T, s *stack, token string, n int, device func(int) string, sentAt time.Time) []time.Duration {
	t.Helper()
	want := map[string]bool{}
	for k := range n {
		want[device(k)] = true
	}
	found := map[int64]time.Duration{}
	deadline := time.Now().Add(2 * time.Minute)
	seen := map[int64]bool{}
	for len(found) < n && time.Now().Before(deadline) {
		var list struct{ Incidents []fireline.Incident }
		patientGet(t, s, "/api/v1/incidents?limit=1000", token, &list)
		for _, inc := range list.Incidents {
			if seen[inc.ID] || inc.CreatedAt.Before(sentAt.Add(-time.Second)) {
				continue
			}
			var alarms struct{ Alarms []fireline.Alarm }
			patientGet(t, s, fmt.Sprintf("/api/v1/incidents/%d/alarms", inc.ID), token, &alarms)
			if len(alarms.Alarms) == 0 || !want[alarms.Alarms[0].DeviceID] {
				seen[inc.ID] = true
				continue
			}
			var tl struct{ Events []fireline.TimelineEvent }
			patientGet(t, s, fmt.Sprintf("/api/v1/incidents/%d/timeline", inc.ID), token, &tl)
			for _, e := range tl.Events {
				if e.Kind == fireline.EventRecommended {
					found[inc.ID] = e.At.Sub(sentAt)
					seen[inc.ID] = true
					break
				}
			}
		}
		if len(found) < n {
			time.Sleep(500 * time.Millisecond)
		}
	}
	out := make([]time.Duration, 0, len(found))
	for _, d := range found {
		out = append(out, d)
	}
	return out
}
