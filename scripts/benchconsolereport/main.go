// Command benchconsolereport turns the results of the console benchmark (scripts/bench-console.sh:
// the JSON that e2e's TestConsoleUnderLoad writes, the browser side's figures and the load it
// drove) into the generated section of BENCHMARKS.md: frame times idle and under load and their
// ratio from the same run, click to panel open, the load as delivered, what the page fetched,
// where its main thread went, the machine and the command. It uses the standard library only.
//
// Usage:
//
//	benchconsolereport -in results.json -out BENCHMARKS.md -cmd 'make bench-console' [-meta k=v ...]
//
// Only the text between <!-- bench-console:begin --> and <!-- bench-console:end --> is
// replaced; a file without them gets them appended.
package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/fireline/fireline/internal/benchdoc"
)

const (
	beginMarker = "<!-- bench-console:begin -->"
	endMarker   = "<!-- bench-console:end -->"
)

// results is what TestConsoleUnderLoad writes.
type results struct {
	Browser browser `json:"browser"`
	Load    load    `json:"load"`
}

// browser is the JSON line of e2e/browser/console.bench.mjs.
type browser struct {
	Chromium string `json:"chromium"`
	Renderer string `json:"renderer"`
	Cores    int    `json:"cores"`
	Viewport struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"viewport"`
	User  string `json:"user"`
	Board struct {
		Rows  int `json:"rows"`
		Units int `json:"units"`
	} `json:"board"`
	Settings struct {
		IdleS   float64 `json:"idle_s"`
		WarmupS float64 `json:"warmup_s"`
		LoadS   float64 `json:"load_s"`
		Clicks  int     `json:"clicks"`
	} `json:"settings"`
	Idle    window   `json:"idle"`
	Loaded  window   `json:"load"`
	Clicks  clicks   `json:"clicks"`
	Profile *profile `json:"profile"`
}

// stats are a distribution's figures, in milliseconds.
type stats struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

type frames struct {
	stats
	Over50      int     `json:"over_50ms"`
	Over50Share float64 `json:"over_50ms_share"`
}

type request struct {
	Count int     `json:"count"`
	Bytes int64   `json:"bytes"`
	P50   float64 `json:"p50_ms"`
	Max   float64 `json:"max_ms"`
}

// window is what one measured window saw besides its own figures.
type window struct {
	Frames    frames  `json:"frames"`
	Seconds   float64 `json:"seconds"`
	LongTasks struct {
		Count   int     `json:"count"`
		TotalMS float64 `json:"total_ms"`
		MaxMS   float64 `json:"max_ms"`
	} `json:"longtasks"`
	Requests   map[string]request `json:"requests"`
	SSE        map[string]int     `json:"sse"`
	DOMNodes   int                `json:"dom_nodes"`
	MainThread struct {
		Task   float64 `json:"task_pct"`
		Script float64 `json:"script_pct"`
		Layout float64 `json:"layout_pct"`
		Style  float64 `json:"style_pct"`
		HeapMB float64 `json:"heap_mb"`
	} `json:"main_thread"`
}

type clicks struct {
	window
	Open  stats `json:"open"`
	Frame stats `json:"frame"`
}

type profile struct {
	Seconds float64 `json:"seconds"`
	Idle    float64 `json:"idle_pct"`
	Program float64 `json:"program_pct"`
	GC      float64 `json:"gc_pct"`
	Top     []struct {
		Fn    string  `json:"fn"`
		Total float64 `json:"total_pct"`
		Self  float64 `json:"self_pct"`
	} `json:"top"`
}

// load is the Go side's account of the load it drove.
type load struct {
	UnitsCreated int     `json:"units_created"`
	UnitsTotal   int     `json:"units_total"`
	Stations     int     `json:"stations"`
	Incidents    int     `json:"incidents"`
	Districts    int     `json:"districts"`
	AVLPeriodS   float64 `json:"avl_period_s"`
	AVL          struct {
		Sent     int     `json:"sent"`
		Failed   int     `json:"failed"`
		Seconds  float64 `json:"seconds"`
		Rate     float64 `json:"rate_per_s"`
		MaxLagMS float64 `json:"max_lag_ms"`
		P50      float64 `json:"post_p50_ms"`
		P95      float64 `json:"post_p95_ms"`
		P99      float64 `json:"post_p99_ms"`
	} `json:"avl"`
	SetupUnitsS  float64 `json:"setup_units_s"`
	SetupAlarmsS float64 `json:"setup_alarms_s"`
	SetupSettleS float64 `json:"setup_settle_s"`
}

// meta is what the script knows about the run: -meta key=value flags.
type meta = benchdoc.Meta

func main() {
	in := flag.String("in", "", "the results TestConsoleUnderLoad wrote (required)")
	out := flag.String("out", "BENCHMARKS.md", "markdown file whose generated section is rewritten")
	cmd := flag.String("cmd", "make bench-console", "the command that reproduces the run, quoted in the report")
	m := meta{}
	flag.Var(m, "meta", "key=value about the run (repeatable): date, cpu, memory, go, commit, load-before, load-after, elapsed")
	flag.Parse()
	if err := run(*in, *out, *cmd, m); err != nil {
		fmt.Fprintln(os.Stderr, "benchconsolereport:", err)
		os.Exit(1)
	}
}

func run(in, out, cmd string, m meta) error {
	if in == "" {
		return errors.New("-in is required")
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	r, err := parse(raw)
	if err != nil {
		return err
	}
	return benchdoc.Splice(out, render(r, m, cmd), beginMarker, endMarker)
}

func parse(raw []byte) (results, error) {
	var r results
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("results: %w", err)
	}
	switch {
	case r.Browser.Idle.Frames.N == 0 || r.Browser.Loaded.Frames.N == 0:
		return r, errors.New("results: no frames measured")
	case r.Browser.Clicks.Open.N == 0:
		return r, errors.New("results: no click measured")
	case r.Load.AVL.Sent == 0:
		return r, errors.New("results: no AVL fix sent")
	}
	return r, nil
}

func render(r results, m meta, cmd string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	br, ld := r.Browser, r.Load
	w("%s\n<!-- Generated by scripts/bench-console.sh (scripts/benchconsolereport); edit outside the markers. -->\n\n", beginMarker)
	w("### Results\n\nRun %s on this machine:\n\n| | |\n|---|---|\n", orDash(m["date"]))
	for _, k := range []struct{ key, name, value string }{
		{"cpu", "CPU", ""},
		{"memory", "memory", ""},
		{"go", "Go", ""},
		{"", "Chromium", fmt.Sprintf("%s, headless, %d × %d, signed in as %s", br.Chromium, br.Viewport.Width, br.Viewport.Height, br.User)},
		{"", "WebGL renderer", br.Renderer + swiftShaderNote(br.Renderer)},
		{"commit", "console built from", ""},
		{"load-before", "load average before (1, 5, 15 min)", ""},
		{"load-after", "load average after", ""},
		{"elapsed", "run time", ""},
	} {
		v := k.value
		if k.key != "" {
			v = m[k.key]
		}
		if v != "" {
			w("| %s | %s |\n", k.name, v)
		}
	}
	w("\nReproduce with `%s`.\n\n", cmd)

	idle, loaded, cl := br.Idle, br.Loaded, br.Clicks
	w("#### Acceptance: %d open incidents, %d units moving (one AVL fix each per %s s)\n\n", ld.Incidents, ld.UnitsCreated, num(ld.AVLPeriodS))
	w("Frame times from requestAnimationFrame in the page, idle (no AVL) first, then under load, same page, same run:\n\n")
	w("| | idle, %s s | under load, %s s | under load : idle |\n|---|---:|---:|---:|\n", num(br.Settings.IdleS), num(br.Settings.LoadS))
	w("| frames (per second) | %d (%s) | %d (%s) | |\n", idle.Frames.N, num(float64(idle.Frames.N)/idle.Seconds), loaded.Frames.N, num(float64(loaded.Frames.N)/loaded.Seconds))
	w("| frame time p50 | %s | %s | %s |\n", ms(idle.Frames.P50), ms(loaded.Frames.P50), ratio(loaded.Frames.P50, idle.Frames.P50))
	w("| **frame time p95** | **%s** | **%s** | **%s** |\n", ms(idle.Frames.P95), ms(loaded.Frames.P95), ratio(loaded.Frames.P95, idle.Frames.P95))
	w("| frame time p99 | %s | %s | %s |\n", ms(idle.Frames.P99), ms(loaded.Frames.P99), ratio(loaded.Frames.P99, idle.Frames.P99))
	w("| longest frame | %s | %s | |\n", ms(idle.Frames.Max), ms(loaded.Frames.Max))
	w("| frames over 50 ms | %s | %s | |\n", share(idle.Frames.Over50Share), share(loaded.Frames.Over50Share))
	w("| long tasks: count, total, longest | %s | %s | |\n", longTasks(idle), longTasks(loaded))
	w("| main thread busy (script, layout, style) | %s | %s | |\n", busy(idle), busy(loaded))
	w("\nClick on an incident's row → the panel showing that incident, %d different incidents under the same load (the click event's own timestamp, so input waiting for a busy main thread counts):\n\n", cl.Open.N)
	w("| | p50 | p95 | max |\n|---|---:|---:|---:|\n")
	w("| **click → panel open** (`#incident-detail[data-incident-id]` shows it) | %s | **%s** | %s |\n", ms(cl.Open.P50), ms(cl.Open.P95), ms(cl.Open.Max))
	w("| click → end of the first frame that draws it | %s | %s | %s |\n", ms(cl.Frame.P50), ms(cl.Frame.P95), ms(cl.Frame.Max))
	w("\nWhile clicking (%s s): main thread busy %s; long tasks %s.\n\n", num(cl.Seconds), busy(cl.window), longTasks(cl.window))

	w("#### The load as delivered\n\n| | |\n|---|---|\n")
	w("| AVL fixes | %s in %s s: **%s a second** (target %s), %d failed, at most %s behind schedule |\n",
		benchdoc.Thousands(ld.AVL.Sent), num(ld.AVL.Seconds), num(ld.AVL.Rate), num(float64(ld.UnitsCreated)/ld.AVLPeriodS), ld.AVL.Failed, ms(ld.AVL.MaxLagMS))
	w("| one fix, POST to answer | p50 %s, p95 %s, p99 %s |\n", ms(ld.AVL.P50), ms(ld.AVL.P95), ms(ld.AVL.P99))
	onBoard := ""
	if br.Board.Units > 0 {
		onBoard = fmt.Sprintf(" (%d on the units board)", br.Board.Units)
	}
	w("| units | %d%s: %d created through the admin API, round the %d stations, each driving laps of a few blocks round its station at 8–14 m/s, and the sample city's own %d, which stay put |\n",
		ld.UnitsTotal, onBoard, ld.UnitsCreated, ld.Stations, ld.UnitsTotal-ld.UnitsCreated)
	w("| incidents | %d rows on the board: %d opened by `POST /alarms` in %d districts in turn, at least 1.2 km apart (no merging), each with its recommendation before the page opens |\n",
		br.Board.Rows, ld.Incidents, ld.Districts)
	w("| setup | units %s s, alarms %s s, incidents worked up %s s |\n", num(ld.SetupUnitsS), num(ld.SetupAlarmsS), num(ld.SetupSettleS))

	w("\n#### What the page fetched\n\n")
	w("Requests the page made, by endpoint (Resource Timing; numbers in paths as {id}), and the live events it received:\n\n")
	w("| endpoint | idle: requests | under load: requests | per second | kB per second | p50 | while clicking: requests |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range endpoints(idle, loaded, cl.window) {
		i, l, c := idle.Requests[p], loaded.Requests[p], cl.Requests[p]
		p50 := "–"
		if l.Count > 0 {
			p50 = ms(l.P50)
		}
		w("| `%s` | %d | %d | %s | %s | %s | %d |\n", p, i.Count, l.Count, num(float64(l.Count)/loaded.Seconds),
			num(float64(l.Bytes)/1000/loaded.Seconds), p50, c.Count)
	}
	w("| live events (SSE) | %s | %s | %s | | | %s |\n", events(idle.SSE), events(loaded.SSE), num(float64(sum(loaded.SSE))/loaded.Seconds), events(cl.SSE))
	w("\nDOM elements: %s idle, %s under load. JS heap in use: %s MB idle, %s MB under load.\n",
		benchdoc.Thousands(idle.DOMNodes), benchdoc.Thousands(loaded.DOMNodes), num(idle.MainThread.HeapMB), num(loaded.MainThread.HeapMB))

	if p := br.Profile; p != nil && len(p.Top) > 0 {
		w("\n#### Where the main thread goes under load\n\n")
		w("A CPU profile of the page for %s s under the same load, after everything above was measured: %s idle, %s in the renderer's own work outside script (`(program)`: style, layout, paint, parsing), %s collecting garbage. The page's functions by the share of the window with them on the stack (total) and at its top (self):\n\n",
			num(p.Seconds), pct(p.Idle), pct(p.Program), pct(p.GC))
		w("| function (source line) | total | self |\n|---|---:|---:|\n")
		for _, f := range p.Top {
			w("| `%s` | %s | %s |\n", strings.ReplaceAll(f.Fn, "|", "\\|"), pct(f.Total), pct(f.Self))
		}
	}
	w("%s\n", endMarker)
	return b.String()
}

func swiftShaderNote(renderer string) string {
	if strings.Contains(renderer, "SwiftShader") {
		return " — SwiftShader draws on the CPU, so frame times are pessimistic against a GPU"
	}
	return ""
}

// endpoints are the endpoints any window requested, the busiest under load first.
func endpoints(ws ...window) []string {
	var out []string
	for _, w := range ws {
		for p := range w.Requests {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	load := ws[1].Requests
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(load[b].Bytes, load[a].Bytes), strings.Compare(a, b))
	})
	return out
}

func events(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", benchdoc.Thousands(m[k]), k)
	}
	return strings.Join(parts, ", ")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func longTasks(w window) string {
	if w.LongTasks.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("%d, %s, %s", w.LongTasks.Count, secondsOrMS(w.LongTasks.TotalMS), ms(w.LongTasks.MaxMS))
}

func busy(w window) string {
	t := w.MainThread
	return fmt.Sprintf("%s (%s, %s, %s)", pct(t.Task), pct(t.Script), pct(t.Layout), pct(t.Style))
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// num formats with three significant digits (thousands separated from 1,000 up), a whole
// number without decimals.
func num(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return benchdoc.Thousands(int(v))
	case math.Abs(v) >= 1000:
		return benchdoc.Thousands(int(math.Round(v)))
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func ms(v float64) string { return num(v) + " ms" }

func secondsOrMS(v float64) string {
	if v >= 1000 {
		return num(v/1000) + " s"
	}
	return ms(v)
}

// pct formats a percentage with one decimal.
func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// share formats a fraction (0..1) as a percentage.
func share(v float64) string { return pct(100 * v) }

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	r := a / b
	if r >= 10 {
		return "×" + strconv.FormatFloat(r, 'f', 1, 64)
	}
	return "×" + strconv.FormatFloat(r, 'f', 2, 64)
}
