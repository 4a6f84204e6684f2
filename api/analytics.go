package api

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/fireline/fireline"
)

// The response-time analytics: GET /analytics/intervals, as JSON or as a CSV report.

// analyticsRoutes are the risk officers' analytics.
func (s *Server) analyticsRoutes(v1 routeSet) {
	v1.get("/analytics/intervals", s.intervals)
}

// intervalQueryOf reads an analytics query from URL parameters (from, to, type, station, cell,
// unit_type, origin), validated.
func intervalQueryOf(v map[string][]string) (fireline.IntervalQuery, error) {
	get := func(k string) string {
		if len(v[k]) == 0 {
			return ""
		}
		return strings.TrimSpace(v[k][0])
	}
	q := fireline.IntervalQuery{From: get("from"), To: get("to"), Type: fireline.IncidentType(get("type")),
		StationArea: get("station"), Cell: strings.ToLower(get("cell")), UnitType: fireline.UnitType(get("unit_type")),
		Origin: get("origin")}
	return q, q.Validate()
}

// intervals answers GET /analytics/intervals?from=&to=[&type=][&station=][&cell=][&unit_type=]
// [&origin=]: the interval report as JSON, or as CSV when asked with Accept: text/csv or
// format=csv.
func (s *Server) intervals(w http.ResponseWriter, r *http.Request) {
	if s.analytics == nil {
		s.writeError(w, r, fireline.Errorf(fireline.EUNAVAILABLE, "this node serves no analytics"))
		return
	}
	q, err := intervalQueryOf(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" && format != "json" {
		s.writeError(w, r, fireline.Errorf(fireline.EINVALID, "format: %q is not csv or json", format))
		return
	}
	rep, err := s.analytics.IntervalReport(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" || (format == "" && strings.Contains(r.Header.Get("Accept"), "text/csv")) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "fireline-intervals-"+q.From+"-to-"+q.To+".csv"))
		w.WriteHeader(http.StatusOK)
		if err := WriteIntervalCSV(w, rep); err != nil {
			s.log.Warn("interval report: CSV cut short", "error", err)
		}
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// intervalCSVHeader names the report's CSV columns: a row per count, per interval and per
// target, each filling the columns that apply to it.
var intervalCSVHeader = []string{"row", "measure", "n", "p50_s", "p90_s", "missing", "negative",
	"standard", "target_s", "percentile", "within", "fraction", "observed_s", "met"}

// WriteIntervalCSV writes rep as CSV: the export of GET /analytics/intervals and of fireline
// analytics intervals --csv.
func WriteIntervalCSV(w io.Writer, rep fireline.IntervalReport) error {
	cw := csv.NewWriter(w)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return num(*v)
	}
	q := rep.Query
	rows := [][]string{intervalCSVHeader,
		{"query", "from " + q.From + " to " + q.To, "", "", "", "", "", "", "", "", "", "", "", ""},
		{"filter", "type=" + string(q.Type) + " station=" + q.StationArea + " cell=" + q.Cell + " unit_type=" + string(q.UnitType) +
			" origin=" + q.Origin + " live_time_zone=" + rep.TimeZone, "", "", "", "", "", "", "", "", "", "", "", ""},
		{"count", "incidents", strconv.Itoa(rep.Incidents), "", "", "", "", "", "", "", "", "", "", ""},
		{"count", "live", strconv.Itoa(rep.Live), "", "", "", "", "", "", "", "", "", "", ""},
		{"count", "imported", strconv.Itoa(rep.Imported), "", "", "", "", "", "", "", "", "", "", ""},
	}
	for _, iv := range []struct {
		name string
		st   fireline.IntervalStats
	}{
		{"call_processing_s", rep.CallProcessing}, {"turnout_s", rep.Turnout}, {"travel_s", rep.Travel},
		{"alarm_to_first_on_scene_s", rep.AlarmToFirstOnScene},
	} {
		rows = append(rows, []string{"interval", iv.name, strconv.Itoa(iv.st.N), opt(iv.st.P50), opt(iv.st.P90),
			strconv.Itoa(iv.st.Missing), strconv.Itoa(iv.st.Negative), "", "", "", "", "", "", ""})
	}
	for _, c := range rep.Compliance {
		met := "missed"
		switch {
		case c.N == 0:
			met = "no data"
		case c.Met:
			met = "met"
		}
		rows = append(rows, []string{"compliance", c.Measure, strconv.Itoa(c.N), "", "", "", "",
			c.Standard, num(c.TargetS), num(c.Percentile), strconv.Itoa(c.Within), opt(c.Fraction), opt(c.ObservedS), met})
	}
	for _, row := range rows {
		if err := cw.Write(csvCells(row...)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
