package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fireline/fireline/gb26875"
	"github.com/fireline/fireline/gb26875/devicesim"
	"github.com/fireline/fireline/internal/latency"
)

// devicesimUsage explains the device simulator.
const devicesimUsage = `usage: fireline devicesim [flags]

Simulates buildings' user information transmission devices speaking GB/T 26875.3 to a
Fireline listener (fireline dev listens on ` + DevGB26875Addr + `): N devices, each on its own TCP
connection, send their state as a heartbeat; on request some report a detector's fire alarm, a
fault or a shielded detector, and each waits for the centre's confirm (resending as a real
device does). By default the first device is the sample city's first key premises' panel.

`

// devicesimSummary is what the simulator prints (and writes with --json) when it stops.
type devicesimSummary struct {
	Devices             int     `json:"devices"`
	Connected           int     `json:"connected"`
	HeartbeatsSent      int64   `json:"heartbeats_sent"`
	HeartbeatsConfirmed int64   `json:"heartbeats_confirmed"`
	Sent                int64   `json:"sent"`
	Confirmed           int64   `json:"confirmed"`
	Denied              int64   `json:"denied"`
	Resent              int64   `json:"resent"`
	ConfirmP50Millis    float64 `json:"confirm_p50_ms"`
	ConfirmP99Millis    float64 `json:"confirm_p99_ms"`
	Failed              int     `json:"failed"`
}

func devicesimCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devicesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, devicesimUsage); fs.PrintDefaults() }
	addr := fs.String("addr", DevGB26875Addr, "the Fireline GB/T 26875.3 listener")
	count := fs.Int("devices", 1, "devices to simulate, each on its own connection")
	first := fs.String("first-address", "063500000001", "the first device's address, 12 hex digits; device i has this plus i")
	heartbeat := fs.Duration("heartbeat", time.Minute, "how often each device sends its state (0: never)")
	var fire, fault, shield []int
	fs.Func("fire", "device indexes (from 0, comma-separated) that report a detector's fire alarm", indexList(&fire))
	fs.Func("fault", "device indexes that report a detector in fault", indexList(&fault))
	fs.Func("shield", "device indexes that report a detector shielded", indexList(&shield))
	component := fs.Uint("component", 0x00010001, "the detector's address on its panel (loop and point)")
	description := fs.String("description", "3F东走廊烟感", "the detector's description (部件说明), sent in GB 18030")
	zone := fs.String("time-zone", "Asia/Shanghai", "the devices' clock zone")
	run := fs.Duration("for", 0, "how long to run after the events (0: until interrupted)")
	jsonOut := fs.String("json", "", "write the summary as JSON to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("devicesim: unexpected argument %q", fs.Arg(0))
	}
	base, err := strconv.ParseUint(*first, 16, 48)
	if err != nil || len(*first) != 12 {
		return fmt.Errorf("--first-address %q: want 12 hex digits", *first)
	}
	if *count < 1 || *count > 100_000 {
		return fmt.Errorf("--devices %d: want 1 to 100000", *count)
	}
	if *component > 0xffffffff {
		return fmt.Errorf("--component %d: want a 32-bit address", *component)
	}
	for _, i := range slices.Concat(fire, fault, shield) {
		if i >= *count {
			return fmt.Errorf("device index %d: only %d devices (0 to %d)", i, *count, *count-1)
		}
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		return fmt.Errorf("--time-zone: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	fleet, err := devicesim.Start(ctx, devicesim.Config{
		Addr: *addr, Count: *count, FirstAddress: base, Heartbeat: *heartbeat, Location: loc, Log: log,
	})
	if err != nil {
		return fmt.Errorf("devicesim: %w", err)
	}
	defer fleet.Close()

	failed := 0
	send := func(what string, idx []int, status gb26875.StatusFlags) {
		for _, i := range idx {
			c := gb26875.ComponentStatus{System: 1, SystemAddress: 1, Component: 40, ComponentAddress: uint32(*component),
				Status: status, Description: *description, At: gb26875.TimestampOf(time.Now().In(loc))}
			res, err := fleet.Component(ctx, i, c)
			if err != nil {
				failed++
				log.Error(what+" not confirmed", "device", fleet.Address(i), "error", err)
				continue
			}
			log.Info(what+" confirmed", "device", fleet.Address(i), "serial", res.Serial, "latency", res.Latency, "resends", res.Resends)
		}
	}
	send("fault", fault, gb26875.StatusNormal|gb26875.StatusFault)
	send("shield", shield, gb26875.StatusNormal|gb26875.StatusShielded)
	send("fire alarm", fire, gb26875.StatusNormal|gb26875.StatusFireAlarm)

	// Heartbeats go on until the time is up or the user stops it, with progress every 10 s.
	var done <-chan time.Time
	if *run > 0 {
		done = time.After(*run)
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-done:
			break wait
		case <-tick.C:
			st := fleet.Stats()
			log.Info("progress", "connected", st.Connected, "heartbeats_sent", st.HeartbeatsSent, "heartbeats_confirmed", st.HeartbeatsConfirmed,
				"confirmed", st.Confirmed, "denied", st.Denied, "resent", st.Resent)
		}
	}
	st := fleet.Stats()
	ms := func(p float64) float64 { return float64(latency.Of(st.Latencies, p).Microseconds()) / 1000 }
	sum := devicesimSummary{
		Devices: *count, Connected: st.Connected, HeartbeatsSent: st.HeartbeatsSent, HeartbeatsConfirmed: st.HeartbeatsConfirmed,
		Sent: st.Sent, Confirmed: st.Confirmed, Denied: st.Denied, Resent: st.Resent,
		ConfirmP50Millis: ms(0.5), ConfirmP99Millis: ms(0.99), Failed: failed,
	}
	out, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", out)
	if *jsonOut != "" {
		if err := os.WriteFile(*jsonOut, append(out, '\n'), 0o644); err != nil { // #nosec G306 -- a summary of figures, nothing secret
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("devicesim: %d events not confirmed", failed)
	}
	return nil
}

// indexList parses a comma-separated list of device indexes into dst.
func indexList(dst *[]int) func(string) error {
	return func(v string) error {
		for _, f := range strings.Split(v, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || i < 0 {
				return fmt.Errorf("%q: want device indexes from 0, comma-separated", v)
			}
			*dst = append(*dst, i)
		}
		return nil
	}
}
