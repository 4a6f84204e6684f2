// Command benchmediareport turns the output of the media benchmark (scripts/bench-media.sh:
// one JSON line per load run from media/loadgen, one per glass-to-glass measurement from
// e2e/browser/glass.bench.mjs) into the generated section of BENCHMARKS.md: forwarded streams
// per core, loss and added latency for each server under the same load, glass-to-glass
// latency, and the ratios of ours to the comparison server from the same run, with the machine
// and the command. It uses the standard library only.
//
// Usage:
//
//	benchmediareport -in results.jsonl -out BENCHMARKS.md -cmd 'make bench-media' [-meta k=v ...]
//
// Only the text between <!-- bench-media:begin --> and <!-- bench-media:end --> is replaced;
// a file without them gets them appended.
package main

import (
	"bufio"
	"bytes"
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
	beginMarker = "<!-- bench-media:begin -->"
	endMarker   = "<!-- bench-media:end -->"
)

// load is one load run, as media/loadgen prints it (its Result).
type load struct {
	Target           string  `json:"target"`
	Publishers       int     `json:"publishers"`
	Viewers          int     `json:"viewers_per_stream"`
	Seconds          float64 `json:"seconds"`
	Forwarded        int     `json:"forwarded"`
	Failed           int     `json:"failed"`
	SentBytes        uint64  `json:"sent_bytes"`
	RecvPackets      uint64  `json:"recv_packets"`
	RecvBytes        uint64  `json:"recv_bytes"`
	Expected         uint64  `json:"expected_packets"`
	LossPct          float64 `json:"loss_pct"`
	LossMaxPct       float64 `json:"loss_max_pct"`
	FramesSent       uint64  `json:"frames_sent"`
	FramesSeen       uint64  `json:"frames_seen"`
	LatencySamples   int     `json:"latency_samples"`
	LatencyP50us     int64   `json:"latency_p50_us"`
	LatencyP99us     int64   `json:"latency_p99_us"`
	LatencyMaxus     int64   `json:"latency_max_us"`
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	IdleCPURate      float64 `json:"server_idle_cpu_per_s"`
	LoaderCPUSeconds float64 `json:"loader_cpu_s"`
	Error            string  `json:"error"`
}

// cores is the server's CPU spent forwarding, in cores: over the window, less its idle rate.
func (l load) cores() float64 {
	if l.Seconds <= 0 {
		return 0
	}
	return math.Max(0, l.ServerCPUSeconds-l.IdleCPURate*l.Seconds) / l.Seconds
}

// perCore is forwarded streams per core at the measured cost; 0 when unmeasurable.
func (l load) perCore() float64 {
	if c := l.cores(); c > 0 && l.Forwarded > 0 {
		return float64(l.Forwarded) / c
	}
	return 0
}

// glass is one glass-to-glass measurement, as glass.bench.mjs prints it.
type glass struct {
	Kind       string  `json:"kind"`
	Target     string  `json:"target"`
	Seconds    float64 `json:"seconds"`
	Frames     int     `json:"frames"`
	Unreadable int     `json:"unreadable"`
	P50        float64 `json:"p50_ms"`
	P95        float64 `json:"p95_ms"`
	Min        float64 `json:"min_ms"`
	Max        float64 `json:"max_ms"`
	Error      string  `json:"error"`
}

type cell struct{ n, m int }

type results struct {
	loads   map[string]map[cell]load // by target
	glasses map[string]glass
	targets []string // in order of first appearance
	cells   []cell   // sorted
}

// parse reads the JSON lines of a run; other lines (logs) are skipped.
func parse(raw []byte) (results, error) {
	r := results{loads: map[string]map[cell]load{}, glasses: map[string]glass{}}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := map[cell]bool{}
	addTarget := func(t string) {
		if !slices.Contains(r.targets, t) {
			r.targets = append(r.targets, t)
		}
	}
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var kind struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(line, &kind); err != nil {
			return r, fmt.Errorf("line %q: %w", line, err)
		}
		if kind.Kind == "glass" {
			var g glass
			if err := json.Unmarshal(line, &g); err != nil {
				return r, fmt.Errorf("glass line %q: %w", line, err)
			}
			r.glasses[g.Target] = g
			addTarget(g.Target)
			continue
		}
		var l load
		if err := json.Unmarshal(line, &l); err != nil {
			return r, fmt.Errorf("load line %q: %w", line, err)
		}
		if l.Target == "" || l.Publishers < 1 || l.Viewers < 1 {
			return r, fmt.Errorf("load line %q: no target, publishers or viewers", line)
		}
		if r.loads[l.Target] == nil {
			r.loads[l.Target] = map[cell]load{}
		}
		c := cell{l.Publishers, l.Viewers}
		r.loads[l.Target][c] = l
		addTarget(l.Target)
		if !seen[c] {
			seen[c] = true
			r.cells = append(r.cells, c)
		}
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	if len(r.cells) == 0 {
		return r, errors.New("no load results in the input")
	}
	slices.SortFunc(r.cells, func(a, b cell) int {
		if d := a.n*a.m - b.n*b.m; d != 0 {
			return d
		}
		return a.n - b.n
	})
	return r, nil
}

func (r results) get(target string, c cell) (load, bool) {
	l, ok := r.loads[target][c]
	return l, ok && l.Error == ""
}

// meta is what the script knows about the run: -meta key=value flags.
type meta = benchdoc.Meta

func main() {
	in := flag.String("in", "", "the benchmark's JSON lines (required)")
	out := flag.String("out", "BENCHMARKS.md", "markdown file whose generated section is rewritten")
	cmd := flag.String("cmd", "make bench-media", "the command that reproduces the run, quoted in the report")
	ours := flag.String("ours", "fireline,sfu", "our targets, comma-separated")
	other := flag.String("other", "janus", "the comparison target the ratios divide by")
	m := meta{}
	flag.Var(m, "meta", "key=value about the run (repeatable): date, elapsed, load-before, load-after, cpu, go, chromium, janus, mediamtx, ...")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "benchmediareport: -in is required")
		os.Exit(2)
	}
	raw, err := os.ReadFile(*in)
	if err == nil {
		var r results
		r, err = parse(raw)
		if err == nil {
			err = splice(*out, render(r, m, *cmd, strings.Split(*ours, ","), *other))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchmediareport:", err)
		os.Exit(1)
	}
}

// labels name the targets in the tables.
var labels = map[string]string{
	"fireline": "Fireline (`fireline dev`, over its API)",
	"sfu":      "media.Server alone",
	"janus":    "Janus VideoRoom",
	"mediamtx": "mediamtx",
}

func label(t string) string {
	if l, ok := labels[t]; ok {
		return l
	}
	return t
}

func render(r results, m meta, cmd string, ours []string, other string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n<!-- Generated by scripts/bench-media.sh (scripts/benchmediareport); edit outside the markers. -->\n\n", beginMarker)
	w("### Results\n\nRun %s on this machine:\n\n| | |\n|---|---|\n", orDash(m["date"]))
	for _, k := range []struct{ key, name string }{
		{"cpu", "CPU"}, {"memory", "memory"}, {"go", "Go"}, {"janus", "Janus"}, {"chromium", "Chromium"},
		{"ffmpeg", "ffmpeg (makes the VP8 source)"}, {"mediamtx", "mediamtx"}, {"source", "source video"},
		{"fireline-recorded", "recorded by Fireline during the run (every published track, as for users)"},
		{"load-before", "load average before (1, 5, 15 min)"}, {"load-after", "load average after"}, {"elapsed", "run time"},
	} {
		if v := m[k.key]; v != "" {
			w("| %s | %s |\n", k.name, v)
		}
	}
	w("\nReproduce with `%s`.\n\n", cmd)

	// Headline: the heaviest cell that our first target and the comparison both finished.
	var head cell
	for _, c := range slices.Backward(r.cells) {
		_, ok1 := r.get(ours[0], c)
		_, ok2 := r.get(other, c)
		if ok1 && (ok2 || r.loads[other] == nil) {
			head = c
			break
		}
	}
	if head.n > 0 {
		w("#### Acceptance: %d publishers × %d viewers (%d forwarded streams), same run\n\n", head.n, head.m, head.n*head.m)
		w("| server | forwarded streams per core | CPU per forwarded stream | loss (worst viewer) | added latency p50 | p99 | glass-to-glass p50 | p95 |\n")
		w("|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, t := range r.targets {
			l, ok := r.get(t, head)
			if !ok {
				continue
			}
			g := r.glasses[t]
			w("| %s | %s | %s | %s (%s) | %s | %s | %s | %s |\n", label(t), num(l.perCore()), pctCore(l), pct(l.LossPct), pct(l.LossMaxPct),
				us(l.LatencyP50us), us(l.LatencyP99us), glassMS(g, g.P50), glassMS(g, g.P95))
		}
		if _, ok := r.get(other, head); ok {
			w("\nRatios, ours : %s, same run (streams per core: higher is better; latency: lower is better):\n\n", label(other))
			w("| ours | streams per core | added latency p50 | p99 | glass-to-glass p50 |\n|---|---:|---:|---:|---:|\n")
			o, _ := r.get(other, head)
			og := r.glasses[other]
			for _, t := range ours {
				l, ok := r.get(t, head)
				if !ok {
					continue
				}
				g := r.glasses[t]
				w("| %s | %s | %s | %s | %s |\n", label(t), ratio(l.perCore(), o.perCore()),
					ratio(float64(l.LatencyP50us), float64(o.LatencyP50us)), ratio(float64(l.LatencyP99us), float64(o.LatencyP99us)),
					glassRatio(g, og))
			}
		}
		w("\n")
	}

	w("#### Every load, every server\n\n")
	w("N publishers × M viewers each, %s measured per run after every peer connected; runs of one cell back to back, their order rotating from cell to cell.\n\n", seconds(r))
	w("| N × M | server | forwarded | server CPU (cores) | streams per core | CPU per stream | out (Mbit/s) | loss (worst) | frames seen | added latency p50 | p99 | max | loader CPU (cores) |\n")
	w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range r.cells {
		for _, t := range r.targets {
			l, has := r.loads[t][c]
			if !has {
				continue
			}
			if l.Error != "" {
				w("| %d × %d | %s | failed: %s |||||||||||\n", c.n, c.m, label(t), strings.ReplaceAll(l.Error, "|", "/"))
				continue
			}
			seen := "–"
			if l.FramesSent > 0 {
				seen = pct(100 * float64(l.FramesSeen) / float64(l.FramesSent*uint64(c.m)))
			}
			w("| %d × %d | %s | %d%s | %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s |\n", c.n, c.m, label(t), l.Forwarded, failed(l),
				fixed(l.cores(), 3), num(l.perCore()), pctCore(l), fixed(float64(l.RecvBytes)*8/l.Seconds/1e6, 1),
				pct(l.LossPct), pct(l.LossMaxPct), seen, us(l.LatencyP50us), us(l.LatencyP99us), us(l.LatencyMaxus), fixed(l.LoaderCPUSeconds/l.Seconds, 2))
		}
	}
	if len(ours) > 0 && r.loads[other] != nil {
		w("\nRatios per cell, ours : %s (streams per core; added latency p50 and p99):\n\n| N × M |", label(other))
		for _, t := range ours {
			w(" %s per core | p50 | p99 |", label(t))
		}
		w("\n|---|")
		for range ours {
			w("---:|---:|---:|")
		}
		w("\n")
		for _, c := range r.cells {
			o, ok := r.get(other, c)
			w("| %d × %d |", c.n, c.m)
			for _, t := range ours {
				l, ok2 := r.get(t, c)
				if !ok || !ok2 {
					w(" – | – | – |")
					continue
				}
				w(" %s | %s | %s |", ratio(l.perCore(), o.perCore()), ratio(float64(l.LatencyP50us), float64(o.LatencyP50us)),
					ratio(float64(l.LatencyP99us), float64(o.LatencyP99us)))
			}
			w("\n")
		}
	}

	if len(r.glasses) > 0 {
		w("\n#### Glass to glass\n\nChromium publishes a canvas that shows the wall clock over WHIP (Janus: its VideoRoom API), a second page plays it and reads the clock back from each presented frame; one publisher, one viewer, nothing else loading the server.\n\n")
		w("| server | frames read | unreadable | p50 | p95 | min | max |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, t := range r.targets {
			g, ok := r.glasses[t]
			if !ok {
				continue
			}
			if g.Error != "" {
				w("| %s | failed: %s ||||||\n", label(t), strings.ReplaceAll(g.Error, "|", "/"))
				continue
			}
			w("| %s | %d | %d | %s ms | %s ms | %s ms | %s ms |\n", label(t), g.Frames, g.Unreadable, num(g.P50), num(g.P95), num(g.Min), num(g.Max))
		}
	}
	w("%s\n", endMarker)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// num formats with three significant digits (thousands separated from 100 up).
func num(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v >= 100:
		return benchdoc.Thousands(int(math.Round(v)))
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func fixed(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func pct(v float64) string {
	if v == 0 {
		return "0%"
	}
	if v < 0.01 {
		return "<0.01%"
	}
	return num(v) + "%"
}

// pctCore is the CPU one forwarded stream costs, in percent of a core.
func pctCore(l load) string {
	if l.Forwarded == 0 || l.cores() == 0 {
		return "–"
	}
	return num(100*l.cores()/float64(l.Forwarded)) + "% of a core"
}

// us formats microseconds as milliseconds.
func us(v int64) string { return num(float64(v)/1000) + " ms" }

func glassMS(g glass, v float64) string {
	if g.Frames == 0 || g.Error != "" {
		return "–"
	}
	return num(v) + " ms"
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return "×" + num(a/b)
}

func glassRatio(a, b glass) string {
	if a.Frames == 0 || b.Frames == 0 || a.Error != "" || b.Error != "" {
		return "–"
	}
	return ratio(a.P50, b.P50)
}

func failed(l load) string {
	if l.Failed == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d failed)", l.Failed)
}

// seconds is the measured window of the runs, when they agree.
func seconds(r results) string {
	var s []float64
	for _, byCell := range r.loads {
		for _, l := range byCell {
			if l.Error == "" {
				s = append(s, math.Round(l.Seconds))
			}
		}
	}
	slices.Sort(s)
	if len(s) == 0 {
		return "nothing"
	}
	if s[0] == s[len(s)-1] {
		return fmt.Sprintf("%g s", s[0])
	}
	return fmt.Sprintf("%g–%g s", s[0], s[len(s)-1])
}

// splice replaces this report's section of path, or appends one.
func splice(path, section string) error {
	return benchdoc.Splice(path, section, beginMarker, endMarker)
}
