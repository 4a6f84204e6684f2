// Command loadgen loads a WHIP/WHEP media server the way an incident does — field units
// publishing VP8, consoles playing each stream — and reports what it costs and what arrives:
// packets and bytes each way, loss per viewer, the latency the server adds to each packet, and
// the server process's CPU per forwarded stream. scripts/bench-media.sh runs it against
// Fireline (`fireline dev`, over its HTTP API with logins), against the bare SFU (`loadgen sfu`,
// media.Server alone) and against another server for comparison, and writes BENCHMARKS.md.
//
// Usage:
//
//	loadgen sfu   [-listen 127.0.0.1:0]
//	loadgen setup -fireline URL -password P -n N -out slots.json
//	loadgen run   -target NAME -pid PID -ivf FILE (-slots slots.json | -whip URL -whep URL | -janus URL) -n N -m M -d D
//
// `run` prints one JSON line (Result) on stdout; logs go to stderr. URL templates hold
// {stream}, e.g. http://127.0.0.1:8889/{stream}/whip.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(ctx, os.Args[1:], os.Stdout, log); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return errors.New("usage: loadgen sfu|setup|run [flags]")
	}
	fs := flag.NewFlagSet("loadgen "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "sfu":
		listen := fs.String("listen", "127.0.0.1:0", "address of the WHIP/WHEP front")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return serveSFU(ctx, *listen, log)

	case "setup":
		base := fs.String("fireline", "", "Fireline's base URL, e.g. http://127.0.0.1:8080")
		password := fs.String("password", "", "the demo password Fireline was started with")
		n := fs.Int("n", 8, "streams to prepare: the most publishers any run will use")
		out := fs.String("out", "", "where to write the slots (JSON)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *base == "" || *password == "" || *out == "" {
			return errors.New("setup needs -fireline, -password and -out")
		}
		slots, err := setupFireline(ctx, &http.Client{Timeout: time.Minute}, *base, *password, *n)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(slots, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*out, b, 0o600)

	case "run":
		target := fs.String("target", "", "name of the server under load, for the report")
		slotsFile := fs.String("slots", "", "slots written by `loadgen setup`")
		whip := fs.String("whip", "", "WHIP URL template with {stream}, instead of -slots")
		whep := fs.String("whep", "", "WHEP URL template with {stream}, instead of -slots")
		janus := fs.String("janus", "", "base URL of a Janus server's HTTP API (its VideoRoom), instead of WHIP/WHEP")
		ivf := fs.String("ivf", "", "VP8 IVF file to loop")
		pid := fs.Int("pid", 0, "process id of the server, whose CPU is measured")
		n := fs.Int("n", 1, "publishers")
		m := fs.Int("m", 1, "viewers of each stream")
		d := fs.Duration("d", 20*time.Second, "measured window")
		idle := fs.Duration("idle", 3*time.Second, "how long to measure the server idle first")
		settle := fs.Duration("settle", 2*time.Second, "wait after the last viewer joined, before measuring")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *target == "" || *ivf == "" || *pid <= 0 || *n < 1 || *m < 1 || *d <= 0 {
			return errors.New("run needs -target, -ivf, -pid, and positive -n, -m, -d")
		}
		var slots []Slot
		switch {
		case *slotsFile != "":
			b, err := os.ReadFile(*slotsFile)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, &slots); err != nil {
				return fmt.Errorf("slots %s: %w", *slotsFile, err)
			}
		case *whip != "" && *whep != "":
			slots = slotsFromTemplates(*whip, *whep, *n)
		case *janus != "":
			slots = slotsFromTemplates("", "", *n)
		default:
			return errors.New("run needs -slots, or -whip and -whep")
		}
		frames, err := loadIVF(*ivf)
		if err != nil {
			return err
		}
		res, err := runLoad(ctx, runConfig{
			Target: *target, Slots: slots, Publishers: *n, Viewers: *m, Duration: *d,
			Frames: frames, ServerPID: *pid, Idle: *idle, Settle: *settle, Janus: *janus,
		}, log)
		if err != nil {
			// The report shows a failed run as such rather than losing the row.
			res.Error = err.Error()
		}
		b, jerr := json.Marshal(res)
		if jerr != nil {
			return jerr
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	return fmt.Errorf("unknown command %q: want sfu, setup or run", args[0])
}
