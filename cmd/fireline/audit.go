package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/api"
	"github.com/fireline/fireline/postgres"
)

const auditUsage = `usage: fireline audit export [--from TIME] [--to TIME] > audit.csv

Writes the audit log's entries from --from (inclusive) to --to (exclusive), oldest first, as CSV
with a header row: the same columns as GET /api/v1/audit/export. TIME is RFC 3339, e.g.
2026-12-04T08:00:00+08:00; either end may be left open. Reads DATABASE_URL.
`

// auditCommand runs fireline audit: for now, its export.
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprint(stderr, auditUsage)
		return errors.New("audit: want the export subcommand")
	}
	fs := flag.NewFlagSet("fireline audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage); fs.PrintDefaults() }
	var from, to string
	fs.StringVar(&from, "from", "", "first moment exported, RFC 3339 (default: the beginning)")
	fs.StringVar(&to, "to", "", "end of the period, exclusive, RFC 3339 (default: now)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var period [2]time.Time
	for i, v := range []string{from, to} {
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("audit export: %q is not an RFC 3339 time such as 2026-12-04T08:00:00+08:00", v)
		}
		period[i] = t
	}
	url, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		return err
	}
	if url == "" {
		return errors.New("audit export: DATABASE_URL is required")
	}
	cfg := DefaultConfig()
	log := newLogger(cfg, stderr)
	db, err := postgres.Open(ctx, url, log)
	if err != nil {
		return err
	}
	defer db.Close()
	out := api.NewAuditCSV(stdout)
	if err := out.Header(); err != nil {
		return err
	}
	err = db.ExportAudit(ctx, period[0], period[1], func(e fireline.AuditEvent) error { return out.Write(e) })
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("audit export stopped after %d entries: %w", out.Rows(), err)
	}
	log.Info("audit log exported", "entries", out.Rows())
	return nil
}
