package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
	"github.com/fireline/fireline/workflows"
)

const verifyUsage = `usage: fireline verify [--alarms FILE] [--json] [--no-workflows]

Checks the invariants of a deployment's record and exits non-zero, listing each violation with
its ids and why, when one is broken: every acknowledged alarm is stored and attached to its
incident; every incident's workflow exists, runs while the incident is open and has completed
once it ended; no unit ever held two assignments at once; timelines have no duplicate keys and
hold the events their ledger says must exist; projections agree with their workflows. Reads
DATABASE_URL, and TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (default "default") for the
workflows. Run it on a quiet system: a disagreement that lasts past --settle is reported.
`

// verifyCommand runs fireline verify.
func verifyCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("fireline verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	var (
		alarms      string
		asJSON      bool
		noWorkflows bool
		o           fireline.VerifyOptions
	)
	fs.StringVar(&alarms, "alarms", "", `a file of acknowledged alarms, one JSON object a line: {"source","source_id","alarm_id","incident_id"}`)
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&noWorkflows, "no-workflows", false, "check PostgreSQL only, without asking Temporal")
	fs.IntVar(&o.Limit, "limit", 1000, "report at most this many violations of each ledger check")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "wait this long before checking again a workflow that disagrees with its projection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("verify: unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.fromEnv(getenv); err != nil {
		return err
	}
	if alarms != "" {
		var err error
		if o.Acked, err = readAcked(alarms); err != nil {
			return err
		}
	}
	url, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		return err
	}
	if url == "" {
		return errors.New("verify: DATABASE_URL is required")
	}
	log := newLogger(cfg, stderr)
	db, err := postgres.Open(ctx, url, log)
	if err != nil {
		return err
	}
	defer db.Close()
	var engine fireline.WorkflowInspector
	if !noWorkflows {
		if cfg.TemporalAddress == "" {
			return errors.New("verify: TEMPORAL_ADDRESS is required (or --no-workflows)")
		}
		tc, err := client.DialContext(ctx, client.Options{
			HostPort: cfg.TemporalAddress, Namespace: cfg.Namespace,
			Logger: tlog.NewStructuredLogger(log.With("component", "temporal-sdk")),
		})
		if err != nil {
			return fmt.Errorf("verify: temporal client: %w", err)
		}
		defer tc.Close()
		engine = workflows.NewInspector(tc, cfg.Namespace)
	}
	rep, err := fireline.Verify(ctx, db, engine, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, v := range rep.Violations {
			fmt.Fprintln(stdout, "VIOLATION", v)
		}
		fmt.Fprintf(stdout, "checked %d incidents, %d workflows, %d acknowledged alarms: %d violations\n",
			rep.Incidents, rep.Workflows, rep.Acked, len(rep.Violations))
	}
	if !rep.OK() {
		return fmt.Errorf("verify: %d invariant violations", len(rep.Violations))
	}
	return nil
}

// readAcked reads a file of acknowledged alarms, one JSON object a line.
func readAcked(path string) ([]fireline.AckedAlarm, error) {
	f, err := os.Open(path) // #nosec G304 -- the operator names the file on the command line
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	var out []fireline.AckedAlarm
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var a fireline.AckedAlarm
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("verify: %s line %d: %w", path, n, err)
		}
		if a.Source == "" || a.SourceID == "" {
			return nil, fmt.Errorf("verify: %s line %d: source and source_id are required", path, n)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	return out, nil
}
