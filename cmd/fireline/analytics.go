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
	"strconv"
	"text/tabwriter"
	// The centre's zone must load on a host without the system's zone files (a minimal
	// container): the analytics' dates depend on it.
	_ "time/tzdata"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/api"
	"github.com/fireline/fireline/postgres"
)

// analyticsFlags adds the analytics' settings to a command's flags: the centre's time zone and
// a file of targets.
func (cfg *Config) analyticsFlags(fs *flag.FlagSet) {
	fs.StringVar(&cfg.TimeZone, "time-zone", cfg.TimeZone, "the centre's IANA time zone: the analytics count live incidents by its calendar dates")
	fs.Func("analytics-targets", `a JSON file of response-time targets overriding the defaults (NFPA 1225/1710 at the 90th percentile), e.g. {"turnout_fire": {"standard": "local", "target_s": 90, "percentile": 90}}`, func(path string) error {
		return cfg.readTargets(path)
	})
}

// readTargets overlays the targets in the JSON file at path on cfg's: a target the file does
// not name keeps its value.
func (cfg *Config) readTargets(path string) error {
	b, err := os.ReadFile(path) // #nosec G304 -- the operator names the file on the command line
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg.AnalyticsTargets); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// validateAnalytics checks the time zone and the targets.
func (cfg *Config) validateAnalytics() error {
	if fireline.CheckTimeZone(cfg.TimeZone) != nil {
		return fmt.Errorf("time zone %q: want an IANA zone such as Asia/Shanghai", cfg.TimeZone)
	}
	if err := cfg.AnalyticsTargets.Validate(); err != nil {
		return fmt.Errorf("analytics targets: %w", err)
	}
	return nil
}

const analyticsUsage = `usage: fireline analytics intervals --from DATE --to DATE [filters] [--json | --csv]

Measures the response intervals of the incidents whose alarm came on the dates from --from to
--to (inclusive, YYYY-MM-DD, each incident in its own time zone), live and imported alike: call
processing, turnout, travel and alarm to first on scene, with nearest-rank percentiles and the
compliance with the targets; the same figures as GET /api/v1/analytics/intervals. Prints a
table, or the JSON answer (--json) or the CSV report (--csv). Reads DATABASE_URL.
`

// analyticsCommand runs fireline analytics: for now, its intervals.
func analyticsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "intervals" {
		fmt.Fprint(stderr, analyticsUsage)
		return errors.New("analytics: want the intervals subcommand")
	}
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("fireline analytics intervals", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, analyticsUsage); fs.PrintDefaults() }
	var q fireline.IntervalQuery
	var station, cell, typ, unitType string
	var asJSON, asCSV bool
	fs.StringVar(&q.From, "from", "", "first date, YYYY-MM-DD (required)")
	fs.StringVar(&q.To, "to", "", "last date, inclusive, YYYY-MM-DD (required)")
	fs.StringVar(&typ, "type", "", "only incidents of this type code")
	fs.StringVar(&station, "station", "", "only incidents of this first-due station area")
	fs.StringVar(&cell, "cell", "", "only incidents inside this H3 cell (resolution 5 to 9, hex)")
	fs.StringVar(&unitType, "unit-type", "", "only units of this type: engine, ladder, rescue, hazmat, tanker, command")
	fs.StringVar(&q.Origin, "origin", "", "live or imported (default both)")
	fs.BoolVar(&asJSON, "json", false, "print the JSON answer")
	fs.BoolVar(&asCSV, "csv", false, "print the CSV report")
	cfg.analyticsFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if asJSON && asCSV {
		return errors.New("analytics: --json or --csv, not both")
	}
	q.Type, q.StationArea, q.Cell, q.UnitType = fireline.IncidentType(typ), station, cell, fireline.UnitType(unitType)
	if err := q.Validate(); err != nil {
		return fmt.Errorf("analytics: %s", fireline.ErrorMessage(err))
	}
	if err := cfg.validateAnalytics(); err != nil {
		return err
	}
	url, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		return err
	}
	if url == "" {
		return errors.New("analytics: DATABASE_URL is required")
	}
	db, err := postgres.Open(ctx, url, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	an, err := postgres.NewAnalytics(db, cfg.TimeZone, cfg.AnalyticsTargets)
	if err != nil {
		return err
	}
	rep, err := an.IntervalReport(ctx, q)
	if err != nil {
		return fmt.Errorf("analytics: %w", err)
	}
	switch {
	case asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case asCSV:
		return api.WriteIntervalCSV(stdout, rep)
	}
	return printIntervals(stdout, rep)
}

// printIntervals writes rep as a table a person reads.
func printIntervals(w io.Writer, rep fireline.IntervalReport) error {
	sec := func(v *float64) string {
		if v == nil {
			return "–"
		}
		return strconv.FormatFloat(*v, 'f', 1, 64) + " s"
	}
	q := rep.Query
	fmt.Fprintf(w, "Incidents from %s to %s: %d (%d live, %d imported; live dates in %s)\n\n",
		q.From, q.To, rep.Incidents, rep.Live, rep.Imported, rep.TimeZone)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "interval\tn\tp50\tp90\tmissing\tnegative\t")
	for _, iv := range []struct {
		name string
		st   fireline.IntervalStats
	}{
		{"call processing", rep.CallProcessing}, {"turnout", rep.Turnout}, {"travel", rep.Travel},
		{"alarm to first on scene", rep.AlarmToFirstOnScene},
	} {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d\t\n", iv.name, iv.st.N, sec(iv.st.P50), sec(iv.st.P90), iv.st.Missing, iv.st.Negative)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tstandard\tlimit\tpercentile\tobserved\twithin\tresult\t")
	for _, c := range rep.Compliance {
		result := "missed"
		switch {
		case c.N == 0:
			result = "no data"
		case c.Met:
			result = "met"
		}
		within := "–"
		if c.Fraction != nil {
			within = fmt.Sprintf("%d of %d (%.1f%%)", c.Within, c.N, *c.Fraction*100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tp%s\t%s\t%s\t%s\t\n", c.Measure, c.Standard, sec(&c.TargetS),
			strconv.FormatFloat(c.Percentile, 'f', -1, 64), sec(c.ObservedS), within, result)
	}
	return tw.Flush()
}
