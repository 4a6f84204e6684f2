package intake_test

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/gb26875/devicesim"
	"github.com/fireline/fireline/intake"
)

// lockedAlarms and lockedIncidents are the desk's fakes for many connections at once.
type lockedAlarms struct {
	mu sync.Mutex
	*deskStore
}

func (s *lockedAlarms) ReceiveAlarm(ctx context.Context, a fireline.Alarm, rule fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deskStore.ReceiveAlarm(ctx, a, rule)
}

type lockedIncidents struct {
	mu sync.Mutex
	*deskIncidents
}

func (f *lockedIncidents) AlarmReceived(ctx context.Context, id int64, a, b fireline.Alarm) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deskIncidents.AlarmReceived(ctx, id, a, b)
}

// TestDevicesOverTCP: a thousand simulated devices on their own connections send heartbeats
// to the listener serving the use case; a burst of a hundred fire alarms from a hundred
// buildings is confirmed, each stored as a report and handed on as one alarm that opens an
// incident, nothing lost.
func TestDevicesOverTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand connections: not in -short runs")
	}
	const devices, burst = 1000, 100
	alarms := &lockedAlarms{deskStore: &deskStore{}}
	incidents := &lockedIncidents{deskIncidents: &deskIncidents{}}
	reports := &buildingStore{everyRegistered: true}
	desk := intake.NewDesk(newIntake(), alarms, alarms, incidents, intake.DefaultDeskConfig(), slog.New(slog.DiscardHandler))
	srv := &gb26875.Server{Handler: intake.NewDevices(desk, reports, beijing, slog.New(slog.DiscardHandler)),
		Log: slog.New(slog.DiscardHandler), Location: beijing}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	fleet, err := devicesim.Start(ctx, devicesim.Config{Addr: ln.Addr().String(), Count: devices, FirstAddress: 0x0a00_0000_0000,
		Heartbeat: time.Second, Location: beijing})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()

	var wg sync.WaitGroup
	errs := make(chan error, burst)
	start := time.Now()
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every tenth device, so the alarms come from a hundred buildings among the heartbeats.
			if _, err := fleet.FireAlarm(ctx, i*(devices/burst), gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40,
				ComponentAddress: uint32(i), Description: "3F"}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); fleet.Stats().HeartbeatsConfirmed < devices; {
		if time.Now().After(deadline) {
			t.Fatalf("heartbeats confirmed %d of %d devices within 30 s", fleet.Stats().HeartbeatsConfirmed, devices)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := fleet.Stats()
	alarms.mu.Lock()
	stored := slices.Clone(alarms.stored)
	alarms.mu.Unlock()
	incidents.mu.Lock()
	opened := len(incidents.received)
	incidents.mu.Unlock()
	buildings := map[string]bool{}
	for _, a := range stored {
		buildings[a.DeviceID] = a.Kind == fireline.KindFireAlarm && strings.Contains(a.Description, "smoke detector")
	}
	if st.Confirmed != burst || st.Denied != 0 || len(stored) != burst || opened != burst || len(buildings) != burst || st.Connected != devices {
		t.Fatalf("confirmed %d, denied %d, alarms %d from %d devices, incidents %d, connected %d", st.Confirmed, st.Denied,
			len(stored), len(buildings), opened, st.Connected)
	}
	reports.mu.Lock()
	components := 0
	for _, r := range reports.reports {
		if r.TypeFlag == int(gb26875.TypeComponentStatus) {
			components++
		}
	}
	reports.mu.Unlock()
	if components != burst {
		t.Fatalf("%d component reports stored, want %d", components, burst)
	}
	for id, ok := range buildings {
		if !ok {
			t.Fatalf("device %s: the alarm is not its component's fire alarm", id)
		}
	}
	lat := slices.Clone(st.Latencies)
	slices.Sort(lat)
	t.Logf("%d devices, %d heartbeats confirmed; %d fire alarms confirmed in %v: p50 %v, p99 %v, max %v, resent %d",
		devices, st.HeartbeatsConfirmed, burst, elapsed.Round(time.Millisecond), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1], st.Resent)
}
