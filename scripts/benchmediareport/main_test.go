package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sample is what scripts/bench-media.sh collects: loader lines, glass lines, and log noise.
const sample = `bench-media: running 1 x 1 against fireline
{"target":"fireline","publishers":1,"viewers_per_stream":1,"seconds":15.0001,"forwarded":1,"failed":0,"sent_packets":1500,"sent_bytes":1500000,"recv_packets":1500,"recv_bytes":1500000,"expected_packets":1500,"loss_pct":0,"loss_max_pct":0,"frames_sent":450,"frames_seen":450,"latency_samples":1500,"latency_p50_us":600,"latency_p99_us":2000,"latency_max_us":5000,"server_pid":1,"server_cpu_s":0.6,"server_idle_cpu_per_s":0.02,"loader_cpu_s":0.5}
{"target":"janus","publishers":1,"viewers_per_stream":1,"seconds":15,"forwarded":1,"failed":0,"sent_packets":1500,"sent_bytes":1500000,"recv_packets":1500,"recv_bytes":1500000,"expected_packets":1500,"loss_pct":0,"loss_max_pct":0,"frames_sent":450,"frames_seen":450,"latency_samples":1500,"latency_p50_us":900,"latency_p99_us":3000,"latency_max_us":9000,"server_pid":2,"server_cpu_s":0.45,"server_idle_cpu_per_s":0,"loader_cpu_s":0.5}
{"target":"fireline","publishers":4,"viewers_per_stream":4,"seconds":15,"forwarded":16,"failed":0,"sent_packets":6000,"sent_bytes":6000000,"recv_packets":23990,"recv_bytes":24000000,"expected_packets":24000,"loss_pct":0.0416,"loss_max_pct":0.1,"frames_sent":1800,"frames_seen":7190,"latency_samples":23990,"latency_p50_us":700,"latency_p99_us":4000,"latency_max_us":8000,"server_pid":1,"server_cpu_s":3.3,"server_idle_cpu_per_s":0.02,"loader_cpu_s":4}
{"target":"janus","publishers":4,"viewers_per_stream":4,"seconds":15,"forwarded":16,"failed":0,"sent_packets":6000,"sent_bytes":6000000,"recv_packets":24000,"recv_bytes":24000000,"expected_packets":24000,"loss_pct":0,"loss_max_pct":0,"frames_sent":1800,"frames_seen":7200,"latency_samples":24000,"latency_p50_us":1400,"latency_p99_us":5000,"latency_max_us":9000,"server_pid":2,"server_cpu_s":1.5,"server_idle_cpu_per_s":0,"loader_cpu_s":4}
{"target":"sfu","publishers":4,"viewers_per_stream":4,"seconds":15,"forwarded":0,"failed":16,"error":"no viewer connected"}
{"kind":"glass","target":"fireline","seconds":10,"frames":280,"unreadable":1,"p50_ms":35,"p95_ms":52,"min_ms":16,"max_ms":93}
{"kind":"glass","target":"janus","seconds":10,"frames":250,"unreadable":0,"p50_ms":40,"p95_ms":60,"min_ms":17,"max_ms":80}
`

func TestParse(t *testing.T) {
	r, err := parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.targets, ","); got != "fireline,janus,sfu" {
		t.Errorf("targets %s", got)
	}
	if len(r.cells) != 2 || r.cells[0] != (cell{1, 1}) || r.cells[1] != (cell{4, 4}) {
		t.Errorf("cells %v", r.cells)
	}
	if _, ok := r.get("sfu", cell{4, 4}); ok {
		t.Error("a failed run counts as a result")
	}
	l, _ := r.get("fireline", cell{4, 4})
	// (3.3 − 0.02 × 15) / 15 = 0.2 cores for 16 streams: 80 per core.
	if c := l.cores(); c < 0.1999 || c > 0.2001 {
		t.Errorf("cores = %v, want 0.2", c)
	}
	if p := l.perCore(); p < 79.99 || p > 80.01 {
		t.Errorf("perCore = %v, want 80", p)
	}
	if g := r.glasses["janus"]; g.P50 != 40 || g.Frames != 250 {
		t.Errorf("janus glass %+v", g)
	}
	if _, err := parse([]byte("no results\n")); err == nil {
		t.Error("parse of a log without results succeeded")
	}
}

func TestRender(t *testing.T) {
	r, err := parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	out := render(r, meta{"date": "2026-12-01 15:00 UTC", "cpu": "AMD EPYC"}, "make bench-media", []string{"fireline", "sfu"}, "janus")
	for _, want := range []string{
		beginMarker, endMarker, "Reproduce with `make bench-media`",
		"#### Acceptance: 4 publishers × 4 viewers (16 forwarded streams), same run",
		// Janus: 1.5 s over 15 s = 0.1 cores for 16 streams, 160 per core; ours 80: ×0.50.
		"| Fireline (`fireline dev`, over its API) | 80.0 | 1.25% of a core | 0.04% (0.10%) | 0.70 ms | 4.00 ms | 35.0 ms | 52.0 ms |",
		"| Janus VideoRoom | 160 |",
		"| Fireline (`fireline dev`, over its API) | ×0.50 | ×0.50 | ×0.80 | ×0.88 |",
		"| 4 × 4 | media.Server alone | failed: no viewer connected |",
		"| Janus VideoRoom | 250 | 0 | 40.0 ms | 60.0 ms | 17.0 ms | 80.0 ms |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestSpliceKeepsEverythingOutsideItsMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	doc := "# Benchmarks\n\n<!-- bench:begin -->\nissue 4\n<!-- bench:end -->\n\n## Media\n\nreading\n\n" + beginMarker + "\nold\n" + endMarker + "\n\ntrailer\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := splice(path, beginMarker+"\nnew\n"+endMarker+"\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := strings.Replace(doc, "\nold\n", "\nnew\n", 1)
	if string(got) != want {
		t.Errorf("spliced:\n%s\nwant:\n%s", got, want)
	}
	// Without markers the section is appended.
	if err := os.WriteFile(path, []byte("# Benchmarks\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := splice(path, beginMarker+"\nnew\n"+endMarker+"\n"); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if string(got) != "# Benchmarks\n\n"+beginMarker+"\nnew\n"+endMarker+"\n" {
		t.Errorf("appended: %q", got)
	}
}
