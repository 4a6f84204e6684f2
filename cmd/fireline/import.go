package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/importer"
	"github.com/fireline/fireline/internal/progress"
	"github.com/fireline/fireline/postgres"
)

const importUsage = `usage: fireline import --format FORMAT [--time-zone ZONE] FILE

Loads a CSV export of another dispatch system as imported incidents and units, for the
analytics and the risk grid (no workflow is started). FORMAT is a built-in format (%s) or a
mapping file (see importer/formats/seattle-911.json). Importing the same file again adds
nothing; bad rows are reported with their line numbers and skipped. Reads DATABASE_URL.

`

// importCommand runs fireline import. It fails only when the file cannot be read at all, no row
// of it could be, or the database fails; bad rows are in the summary it prints.
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fireline import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, importUsage, strings.Join(importer.Builtins(), ", "))
		fs.PrintDefaults()
	}
	var format, zone string
	fs.StringVar(&format, "format", "", "a built-in format ("+strings.Join(importer.Builtins(), ", ")+") or a mapping file")
	fs.StringVar(&zone, "time-zone", "", "IANA zone of the file's local times and of its incidents' calendar (default: the format's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if format == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("import: want --format and one FILE")
	}
	m, err := importer.LoadMapping(format)
	if err != nil {
		return fmt.Errorf("import: %s", fireline.ErrorMessage(err))
	}
	if zone != "" {
		if m, err = m.WithTimeZone(zone); err != nil {
			return fmt.Errorf("import: --time-zone: %s", fireline.ErrorMessage(err))
		}
	}
	path := fs.Arg(0)
	f, err := os.Open(path) // #nosec G304 -- the operator names the file to import
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	url, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		return err
	}
	if url == "" {
		return errors.New("import: DATABASE_URL is required")
	}
	cfg := DefaultConfig()
	if v := getenv("FIRELINE_LOG_LEVEL"); v != "" {
		cfg.LogLevel = v
	}
	log := newLogger(cfg, stderr)
	db, err := postgres.Open(ctx, url, log)
	if err != nil {
		return err
	}
	defer db.Close()

	var tty io.Writer
	if isTerminal(stderr) {
		tty = stderr
	}
	meter := progress.New("import", fi.Size(), tty, log).Count("rows", 0, true)
	sum, err := importer.New(db, log).Import(ctx, m, io.TeeReader(f, meter), importer.Options{
		Format:   format,
		Progress: func(int) { meter.Add(1) },
	})
	meter.Done()
	writeImportSummary(stdout, path, sum)
	if err != nil {
		return fmt.Errorf("import: %s", fireline.ErrorMessage(err))
	}
	if sum.Rows > 0 && sum.BadRows == sum.Rows {
		return fmt.Errorf("import: none of the %d rows could be read as %s", sum.Rows, format)
	}
	return nil
}

// writeImportSummary prints what an import did, for a person.
func writeImportSummary(w io.Writer, path string, s fireline.ImportSummary) {
	fmt.Fprintf(w, "%s as %s (dataset %s): %d rows in %.1f s, %.0f rows/s\n", path, s.Format, s.Dataset, s.Rows, s.Seconds, s.RowsPerSecond)
	fmt.Fprintf(w, "  incidents: %d added, %d already present", s.IncidentsAdded, s.IncidentsPresent)
	if s.IncidentsEarlier > 0 {
		fmt.Fprintf(w, ", %d given an earlier received time", s.IncidentsEarlier)
	}
	fmt.Fprintf(w, "\n  unit rows: %d added, %d already present\n", s.UnitsAdded, s.UnitsPresent)
	fmt.Fprintf(w, "  bad rows:  %d, skipped\n", s.BadRows)
	for _, b := range s.Bad {
		fmt.Fprintf(w, "    line %d: %s\n", b.Line, b.Reason)
	}
	if more := s.BadRows - len(s.Bad); more > 0 {
		fmt.Fprintf(w, "    and %d more\n", more)
	}
}
