package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/loadgen"
	"github.com/fireline/fireline/samplecity"
)

const loadgenUsage = `usage: fireline loadgen [flags] --surge N --over T | --replay FILE
       fireline loadgen report --benchmarks FILE --command CMD SUMMARY.json...

Drives a running Fireline on this machine over its public API like a bad day: a synthetic
surge of N alarms spread evenly over T near the sample city's stations and panels, or a replay
of real calls (San Francisco or Seattle CSV, mapped onto Liaocheng, inter-arrival times divided
by --speed). With --play N, operators dispatch the first N incidents' recommendations and the
crews (crew-<unit id>) acknowledge, go en route, on scene and available; the incident is closed.
Then every acknowledged alarm is read back. The demo password comes from
FIRELINE_DEMO_PASSWORD or --password-file. Only loopback targets are accepted.

`

func loadgenCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "report" {
		return loadgenReport(args[1:], stderr)
	}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadgenUsage); fs.PrintDefaults() }
	target := fs.String("target", "http://127.0.0.1:8080", "the Fireline to drive (loopback only); several API nodes' URLs, comma-separated, are taken in turn and a resend goes to the next")
	surge := fs.Int("surge", 0, "synthetic surge: this many alarms")
	over := fs.Duration("over", time.Minute, "the surge's alarms are spread evenly over this time")
	dups := fs.Float64("duplicates", 0.15, "share of the surge's alarms that are a second caller for one already sent")
	mixFlag := fs.String("sources", "call=0.7,public=0.2,iot=0.1", "the surge's source mix")
	seed := fs.Uint64("seed", 1, "the surge's random seed (the same seed, the same alarms)")
	replay := fs.String("replay", "", "replay this San Francisco or Seattle CSV export instead of a surge")
	speed := fs.Float64("speed", 60, "replay: inter-arrival times are divided by this")
	maxAlarms := fs.Int("max", 100_000, "send at most this many alarms")
	timeout := fs.Duration("timeout", 0, "end the run, checks included, after this long (0: the load's length, 5 minutes, and the checks' reads)")
	play := fs.Int("play", 0, "operators and crews work this many of the incidents")
	think := fs.Duration("think", 2*time.Second, "the operator's think time before dispatching")
	crewStep := fs.Duration("crew-step", time.Second, "the time between a crew's status changes")
	attempt := fs.Duration("attempt-timeout", 30*time.Second, "an alarm unanswered this long is sent again with its same source id")
	passwordFile := fs.String("password-file", "", "read the demo users' password from this file")
	jsonOut := fs.String("json", "", "write the summary as JSON to this file")
	readRate := fs.Int("read-rate", 60, "the checks' reads a second once the load is sent (every acknowledged alarm is read back from its incident)")
	label := fs.String("label", "", "name the build or setting this run measures in its summary (e.g. before, after)")
	ackedOut := fs.String("acked", "", "write each acknowledged alarm to this file, one JSON object a line, for fireline verify --alarms")
	runID := fs.String("run-id", "", "prefix of every source id (default: lg-<unix time>), so runs never collide")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("loadgen: unexpected argument %q", fs.Arg(0))
	}
	if err := loadgen.CheckTargets(*target); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	if (*surge > 0) == (*replay != "") {
		return errors.New("loadgen: give either --surge N or --replay FILE")
	}
	if *maxAlarms < 1 {
		return fmt.Errorf("loadgen: --max %d: want at least 1", *maxAlarms)
	}
	password := getenv("FIRELINE_DEMO_PASSWORD")
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("loadgen: --password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if password == "" {
		return errors.New("loadgen: no password: set FIRELINE_DEMO_PASSWORD or give --password-file")
	}
	if *runID == "" {
		*runID = fmt.Sprintf("lg-%d", time.Now().Unix())
	}

	var plan []loadgen.Alarm
	var load string
	if *surge > 0 {
		mix, err := loadgen.ParseMix(*mixFlag)
		if err != nil {
			return fmt.Errorf("loadgen: --sources: %w", err)
		}
		n := min(*surge, *maxAlarms)
		if plan, err = loadgen.Surge(loadgen.SurgeConfig{N: n, Over: *over * time.Duration(n) / time.Duration(*surge),
			Duplicates: *dups, Mix: mix, Seed: *seed, RunID: *runID}, samplecity.Liaocheng()); err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
		load = fmt.Sprintf("--surge %d --over %s --duplicates %g", *surge, *over, *dups)
	} else {
		f, err := os.Open(*replay)
		if err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
		recs, err := loadgen.ReadRecords(f)
		_ = f.Close() // read only: nothing of the file's to lose
		if err != nil {
			return fmt.Errorf("loadgen: %s: %w", *replay, err)
		}
		if plan, err = loadgen.Replay(recs, *speed, *maxAlarms, *runID); err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
		load = fmt.Sprintf("--replay %s --speed %g", *replay, *speed)
	}
	if *timeout == 0 {
		// The load, five minutes for the pipeline to catch up, and the checks' three reads an
		// incident at loadgen's default read rate.
		*timeout = plan[len(plan)-1].At + 5*time.Minute + time.Duration(len(plan))*3*time.Second/time.Duration(max(*readRate, 1))
	}
	fmt.Fprintf(stderr, "loadgen: %d alarms over %s against %s\n", len(plan), plan[len(plan)-1].At.Round(time.Second), *target)
	sum, err := loadgen.Run(ctx, loadgen.Config{Base: *target, Password: password, Plan: plan, Play: *play, Think: *think,
		CrewStep: *crewStep, Timeout: *timeout, ReadRate: *readRate, AttemptTimeout: *attempt, Progress: stderr, ProgressEvery: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	sum.Load, sum.Label = load, *label
	sum.Print(stdout)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil { // #nosec G306 -- figures, nothing secret
			return err
		}
	}
	if *ackedOut != "" {
		if err := writeReceipts(*ackedOut, sum.Receipts); err != nil {
			return fmt.Errorf("loadgen: --acked: %w", err)
		}
	}
	if sum.Lost > 0 || sum.DoubleDispatches > 0 {
		return fmt.Errorf("loadgen: %d lost alarms, %d double dispatches", sum.Lost, sum.DoubleDispatches)
	}
	return nil
}

// writeReceipts writes the acknowledged alarms as `fireline verify --alarms` reads them.
func writeReceipts(path string, acked []fireline.AckedAlarm) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, a := range acked {
		if err := enc.Encode(a); err != nil {
			return err
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o644) // #nosec G306 -- ids of test alarms, nothing secret
}

// loadgenReport writes the summaries of runs (their --json files) into BENCHMARKS.md's section.
func loadgenReport(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("benchmarks", "BENCHMARKS.md", "the file whose surge section is rewritten")
	cmd := fs.String("command", "make bench-surge", "the command that made the runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("loadgen report: name the runs' summary files")
	}
	var runs []*loadgen.Summary
	for _, p := range fs.Args() {
		b, err := os.ReadFile(p) // #nosec G304 -- the summaries the user names on the command line
		if err != nil {
			return fmt.Errorf("loadgen report: %w", err)
		}
		var s loadgen.Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("loadgen report: %s: %w", p, err)
		}
		runs = append(runs, &s)
	}
	return loadgen.WriteBenchmarks(*out, *cmd, runs)
}
