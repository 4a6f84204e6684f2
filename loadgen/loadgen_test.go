package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/samplecity"
)

// metres is the ground distance between two points (equirectangular, enough for a city).
func metres(a, b fireline.Point) float64 {
	x := (b.Lng - a.Lng) * math.Pi / 180 * math.Cos((a.Lat+b.Lat)/2*math.Pi/180)
	y := (b.Lat - a.Lat) * math.Pi / 180
	return math.Hypot(x, y) * earthRadius
}

func TestAffineKeepsDistancesAndLandsOnLiaocheng(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tr       Affine
		centre   fireline.Point
		far      fireline.Point // a real place a few km away
		distance float64        // metres, between centre and far
	}{
		{"San Francisco: City Hall to Ocean Beach", SanFrancisco, fireline.Point{Lat: 37.7793, Lng: -122.4193}, fireline.Point{Lat: 37.7594, Lng: -122.5107}, 0},
		{"Seattle: Pioneer Square to the University", Seattle, fireline.Point{Lat: 47.6062, Lng: -122.3321}, fireline.Point{Lat: 47.6553, Lng: -122.3035}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tr.Apply(tc.centre); metres(got, liaocheng) > 1 {
				t.Errorf("centre lands at %v, %.0f m from Liaocheng's centre", got, metres(got, liaocheng))
			}
			before := metres(tc.centre, tc.far)
			after := metres(tc.tr.Apply(tc.centre), tc.tr.Apply(tc.far))
			if math.Abs(after-before)/before > 0.005 {
				t.Errorf("%.0f m became %.0f m: the transform should keep ground distances", before, after)
			}
		})
	}
}

func TestReadRecordsSanFranciscoCountsACallOnce(t *testing.T) {
	csv := "Call Number,Unit ID,Call Type,Received DtTm,Location\n" +
		`2,E1,Structure Fire,01/01/2017 12:00:10 AM,"(37.7793, -122.4193)"` + "\n" +
		`1,E2,Medical Incident,12/31/2016 11:59:00 PM,"(37.78, -122.41)"` + "\n" +
		`2,T1,Structure Fire,01/01/2017 12:00:10 AM,"(37.7793, -122.4193)"` + "\n" +
		`3,E3,Vehicle Fire,01/01/2017 12:01:00 AM,"(0, 0)"` + "\n"
	recs, err := ReadRecords(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].ID != "1" || recs[1].ID != "2" {
		t.Fatalf("records %+v: want calls 1 then 2, the unit rows of call 2 once, the call without a position skipped", recs)
	}
	if recs[1].Type != fireline.TypeStructureFire || recs[0].Type != fireline.TypeHelpRequested {
		t.Errorf("types %s, %s", recs[0].Type, recs[1].Type)
	}
	if d := recs[1].At.Sub(recs[0].At); d != 70*time.Second {
		t.Errorf("gap %s, want 70s across midnight", d)
	}
	plan, err := Replay(recs, 10, 0, "r")
	if err != nil {
		t.Fatal(err)
	}
	if plan[0].At != 0 || plan[1].At != 7*time.Second {
		t.Errorf("replayed at %s and %s, want 0 and 7s (70 s divided by 10)", plan[0].At, plan[1].At)
	}
	if _, err := Replay(recs, 0, 0, "r"); err == nil {
		t.Error("speed 0 accepted")
	}
}

func TestReadRecordsSeattle(t *testing.T) {
	csv := "Address,Type,Datetime,Latitude,Longitude,Report Location,Incident Number\n" +
		`A,Motor Vehicle Accident,11/09/2011 10:04:00 PM +0000,47.654152,-122.354466,"(47.654152, -122.354466)",F1` + "\n" +
		`,Motor Vehicle Incident Freeway,01/20/2015 05:32:00 PM +0000,,,"(0, 0)",F2` + "\n" +
		`B,Motor Vehicle Accident, 2011-10-24T24:22:00+0000,47.6,-122.3,"(47.6, -122.3)",F3` + "\n"
	recs, err := ReadRecords(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Type != fireline.TypeTrafficAccident || metres(recs[1].Point, liaocheng) > 8000 {
		t.Fatalf("records %+v: want two road accidents within 8 km of Liaocheng's centre", recs)
	}
	if want := time.Date(2011, 10, 25, 0, 22, 0, 0, time.UTC); !recs[0].At.Equal(want) {
		t.Errorf("the ISO row with hour 24 read as %s, want %s", recs[0].At, want)
	}
	if _, err := ReadRecords(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Error("an unknown export was accepted")
	}
}

func TestSurgeSchedule(t *testing.T) {
	city := samplecity.Liaocheng()
	mix, err := ParseMix("call=7,public=2,iot=1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := SurgeConfig{N: 600, Over: 30 * time.Second, Duplicates: 0.15, Mix: mix, Seed: 7, RunID: "t"}
	plan, err := Surge(cfg, city)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Surge(cfg, city)
	if fmt.Sprint(plan) != fmt.Sprint(again) {
		t.Error("the same seed gave another plan")
	}
	devices := map[string]bool{}
	for _, d := range city.Devices {
		devices[d.ID] = true
	}
	ids := map[string]bool{}
	dups, sources := 0, map[fireline.AlarmSource]int{}
	for i, a := range plan {
		if want := time.Duration(i) * 50 * time.Millisecond; a.At != want {
			t.Fatalf("alarm %d at %s, want %s (evenly over 30 s)", i, a.At, want)
		}
		if ids[a.SourceID] {
			t.Fatalf("source id %s twice", a.SourceID)
		}
		ids[a.SourceID] = true
		sources[a.Source]++
		if a.Source == fireline.SourceIoT && !devices[a.DeviceID] {
			t.Errorf("alarm %d from unregistered panel %q", i, a.DeviceID)
		}
		if a.DuplicateOf < 0 {
			continue
		}
		dups++
		first := plan[a.DuplicateOf]
		if first.DuplicateOf >= 0 || first.Point != a.Point || first.Type != a.Type || first.Source != a.Source || first.DeviceID != a.DeviceID {
			t.Errorf("duplicate %d %+v does not repeat first report %+v", i, a, first)
		}
		// Early in the run there is no first report 2 s old yet: the latest one is repeated.
		if d := a.At - first.At; d <= 0 || d > 10*time.Second || (a.At > 2100*time.Millisecond && d < 2*time.Second) {
			t.Errorf("duplicate %d at %s comes %s after its first report, want 2 to 10 s", i, a.At, d)
		}
	}
	if dups != 90 {
		t.Errorf("%d duplicates, want 15%% of 600", dups)
	}
	if sources[fireline.SourceCall] < 360 || sources[fireline.SourcePublic] < 80 || sources[fireline.SourceIoT] < 30 {
		t.Errorf("sources %v, want about 70/20/10 %%", sources)
	}
	for _, bad := range []string{"call", "call=x", "fax=1", "call=0"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("mix %q accepted", bad)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for base, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://localhost:8080": true, "http://[::1]:80": true, "https://127.0.0.2": true,
		"http://10.0.0.5:8080": false, "https://fireline.example.cn": false, "ftp://127.0.0.1": false, "127.0.0.1:8080": false,
	} {
		if err := CheckLoopback(base); (err == nil) != ok {
			t.Errorf("%s: err %v, want accepted=%v", base, err, ok)
		}
	}
	_, err := Run(context.Background(), Config{Base: "http://192.0.2.1:8080", Password: "x"})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Run against another host: %v, want a refusal naming loopback", err)
	}
}

// fakeFireline answers the routes a run uses; the first attempt of each alarm fails as told.
type fakeFireline struct {
	mu      sync.Mutex
	fail    func(attempt int, w http.ResponseWriter) bool
	seen    map[string]int // source id → attempts
	alarms  map[string]int64
	created time.Time
}

func (f *fakeFireline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/v1/auth/login":
		_ = json.NewEncoder(w).Encode(map[string]string{"token": "t"})
	case r.URL.Path == "/api/v1/alarms":
		var a struct {
			SourceID string `json:"source_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&a)
		f.mu.Lock()
		n := f.seen[a.SourceID]
		f.seen[a.SourceID] = n + 1
		f.mu.Unlock()
		if f.fail(n, w) {
			return
		}
		f.mu.Lock()
		id, ok := f.alarms[a.SourceID]
		if !ok {
			id = int64(len(f.alarms) + 1)
			f.alarms[a.SourceID] = id
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"alarm_id": id, "incident_id": 100 + id})
	case strings.HasSuffix(r.URL.Path, "/alarms"):
		var id int64
		_, _ = fmt.Sscanf(r.URL.Path, "/api/v1/incidents/%d/alarms", &id)
		_ = json.NewEncoder(w).Encode(map[string]any{"alarms": []fireline.Alarm{{ID: id - 100, ReceivedAt: f.created}}})
	case strings.HasSuffix(r.URL.Path, "/timeline"):
		_ = json.NewEncoder(w).Encode(map[string]any{"events": []fireline.TimelineEvent{{Kind: fireline.EventRecommended, At: f.created.Add(40 * time.Millisecond)}}})
	case strings.HasPrefix(r.URL.Path, "/api/v1/incidents/"):
		_ = json.NewEncoder(w).Encode(fireline.Incident{})
	default:
		http.NotFound(w, r)
	}
}

func TestRetrySendsTheSameSourceID(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(attempt int, w http.ResponseWriter) bool
	}{
		{"503 with Retry-After", func(n int, w http.ResponseWriter) bool {
			if n == 0 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}},
		{"429", func(n int, w http.ResponseWriter) bool {
			if n == 0 {
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		}},
		{"no answer", func(n int, _ http.ResponseWriter) bool {
			if n == 0 {
				time.Sleep(400 * time.Millisecond) // longer than the attempt timeout below
			}
			return false
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeFireline{fail: tc.fail, seen: map[string]int{}, alarms: map[string]int64{}, created: time.Now()}
			srv := httptest.NewServer(f)
			defer srv.Close()
			plan := []Alarm{
				{At: 0, Source: fireline.SourceCall, SourceID: "a", Type: fireline.TypeStructureFire, DuplicateOf: -1},
				{At: 10 * time.Millisecond, Source: fireline.SourceCall, SourceID: "b", Type: fireline.TypeStructureFire, DuplicateOf: -1},
			}
			began := time.Now()
			sum, err := Run(context.Background(), Config{Base: srv.URL, Password: "p", Plan: plan, Timeout: 20 * time.Second,
				AttemptTimeout: 200 * time.Millisecond, ReadRate: 1000})
			if err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.seen["a"] != 2 || f.seen["b"] != 2 || len(f.seen) != 2 {
				t.Errorf("attempts by source id %v: want each alarm sent twice with its same id", f.seen)
			}
			if sum.Acknowledged != 2 || sum.Retried != 2 || sum.Lost != 0 || sum.Failed != 0 || sum.Recommended != 2 || sum.RecP99 != 40 {
				t.Errorf("summary %+v: want 2 acknowledged after 2 resends, none lost, recommendations at 40 ms", sum)
			}
			// The receipts are the first answers, resends or not: what verify --alarms looks for.
			got := map[string]fireline.AckedAlarm{}
			for _, r := range sum.Receipts {
				got[r.SourceID] = r
			}
			for _, id := range []string{"a", "b"} {
				want := fireline.AckedAlarm{Source: fireline.SourceCall, SourceID: id, AlarmID: f.alarms[id], IncidentID: 100 + f.alarms[id]}
				if len(sum.Receipts) != 2 || got[id] != want {
					t.Errorf("receipts %+v: want %+v among two", sum.Receipts, want)
				}
			}
			if tc.name == "503 with Retry-After" && time.Since(began) < time.Second {
				t.Errorf("done in %s: Retry-After: 1 was not honoured", time.Since(began))
			}
		})
	}
}

// TestReceiptKeysAPanelEventUnderItsDevice: intake stores a panel's event under its device's
// id, so a receipt keyed by the bare event id would send verify looking for an alarm that was
// never stored under it.
func TestReceiptKeysAPanelEventUnderItsDevice(t *testing.T) {
	res := sent{acked: true, alarmID: 7, incidentID: 3}
	iot := receipt(Alarm{Source: fireline.SourceIoT, SourceID: "ev-9", DeviceID: "FAP-12"}, res)
	if iot != (fireline.AckedAlarm{Source: fireline.SourceIoT, SourceID: "FAP-12:ev-9", AlarmID: 7, IncidentID: 3}) {
		t.Errorf("panel receipt %+v: want its source id FAP-12:ev-9", iot)
	}
	pub := receipt(Alarm{Source: fireline.SourcePublic, SourceID: "r-1"}, res)
	if pub.SourceID != "r-1" || pub.Source != fireline.SourcePublic {
		t.Errorf("public receipt %+v: want its report id as it was sent", pub)
	}
}

func TestLostWhenTheIncidentIsNotShown(t *testing.T) {
	f := &fakeFireline{fail: func(int, http.ResponseWriter) bool { return false }, seen: map[string]int{}, alarms: map[string]int64{}, created: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/incidents/101", http.NotFound)
	mux.Handle("/", f)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sum, err := Run(context.Background(), Config{Base: srv.URL, Password: "p", Timeout: 10 * time.Second, ReadRate: 1000,
		Plan: []Alarm{{Source: fireline.SourceCall, SourceID: "a", DuplicateOf: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Acknowledged != 1 || sum.Lost != 1 || len(sum.LostAlarms) != 1 {
		t.Errorf("summary %+v: an acknowledged alarm whose incident is not found is lost", sum)
	}
}

func TestDoubles(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	end := func(s int) *time.Time { x := at(s); return &x }
	held := []holding{
		{unit: "E-1", incident: 1, from: at(0), to: end(10)},
		{unit: "E-1", incident: 2, from: at(10), to: end(20)}, // after the first cleared: fine
		{unit: "E-2", incident: 1, from: at(0), to: nil},
		{unit: "E-2", incident: 3, from: at(5), to: end(9)}, // while still on incident 1
		{unit: "L-1", incident: 4, from: at(0), to: end(30)},
		{unit: "L-1", incident: 5, from: at(5), to: end(6)},
		{unit: "L-1", incident: 6, from: at(20), to: nil}, // after 5 cleared, but 4 is still open
	}
	got := Doubles(held)
	want := []string{"E-2 on incident 3", "L-1 on incident 5", "L-1 on incident 6"}
	if len(got) != len(want) {
		t.Fatalf("doubles %q: want %q", got, want)
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("double %d %q, want %q", i, got[i], w)
		}
	}
}

// TestReadRealRecords reads the real exports in ../shared/data, when they are there, and
// checks that every call lands in the sample city.
func TestReadRealRecords(t *testing.T) {
	for _, tc := range []struct {
		file    string
		atLeast int
		within  float64 // metres from Liaocheng's centre
	}{
		{"../../shared/data/sf/fire_calls_2016-12-31_to_2017-01-03.csv", 1000, 20_000},
		{"../../shared/data/seattle/fire_911_calls.csv", 10_000, 25_000},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(tc.file)
			if os.IsNotExist(err) {
				t.Skipf("%s is not here (the shared data folder is absent)", tc.file)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, err := ReadRecords(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) < tc.atLeast {
				t.Fatalf("%d calls, want at least %d", len(recs), tc.atLeast)
			}
			for _, r := range recs {
				if d := metres(r.Point, liaocheng); d > tc.within {
					t.Fatalf("call %s at %v, %.0f m from Liaocheng's centre", r.ID, r.Point, d)
				}
			}
			t.Logf("%d calls over %s", len(recs), recs[len(recs)-1].At.Sub(recs[0].At))
		})
	}
}

// TestOrderKeptKeyOverResends: an incident's order answered 503 is sent again with the same
// Idempotency-Key, so the server carries it out once; each new order has a key of its own, and
// an alarm (idempotent on its source id) goes without.
func TestOrderKeptKeyOverResends(t *testing.T) {
	var mu sync.Mutex
	keys := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys[r.URL.Path] = append(keys[r.URL.Path], r.Header.Get("Idempotency-Key"))
		n := len(keys[r.URL.Path])
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := newClient(srv.URL, srv.Client(), 5*time.Second)
	ctx := context.Background()
	for _, p := range []string{"/api/v1/incidents/1/dispatch", "/api/v1/incidents/2/close", "/api/v1/alarms"} {
		if code, _, resent, err := c.patient(ctx, "POST", p, "t", map[string]any{}, nil); err != nil || code != http.StatusOK || resent != 1 {
			t.Fatalf("%s: %d after %d resends, %v", p, code, resent, err)
		}
	}
	d, cl, al := keys["/api/v1/incidents/1/dispatch"], keys["/api/v1/incidents/2/close"], keys["/api/v1/alarms"]
	if d[0] == "" || d[0] != d[1] || cl[0] == "" || cl[0] != cl[1] || d[0] == cl[0] {
		t.Errorf("orders' keys: dispatch %q, close %q; want one key per order, kept over its resend", d, cl)
	}
	if al[0] != "" || al[1] != "" {
		t.Errorf("an alarm went with keys %q", al)
	}
}

// TestResendGoesToTheNextNode: with two targets, requests take them in turn, and a request
// whose node does not answer is sent again to the other one, as a balancer would.
func TestResendGoesToTheNextNode(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits["up"]++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer up.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits["down"]++
		mu.Unlock()
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer down.Close()
	c := newClient(down.URL+","+up.URL, http.DefaultClient, 5*time.Second)
	for i := 0; i < 4; i++ {
		if code, _, _, err := c.patient(context.Background(), "GET", "/x", "", nil, nil); err != nil || code != http.StatusOK {
			t.Fatalf("request %d: %d, %v", i, code, err)
		}
	}
	if hits["up"] != 4 || hits["down"] != 2 {
		t.Errorf("hits %v: want every request answered by the live node, and the dead one tried by every other first attempt", hits)
	}
	if err := CheckTargets("http://127.0.0.1:1,http://example.com"); err == nil {
		t.Error("a list with a remote target was accepted")
	}
}
