// Package latency records how long each operation of a benchmark takes, so that benchmarks
// report the percentiles a dispatcher feels (p50, p99) besides testing.B's mean. Both the
// in-memory index's benchmarks and the PostGIS ones use it, so their figures mean the same.
package latency

import (
	"math"
	"slices"
	"testing"
	"time"
)

// capacity is how many operations a Recorder keeps, the most recent ones: 2 MiB, allocated
// before the timed loop so that recording allocates nothing.
const capacity = 1 << 18

// Recorder holds the durations of a benchmark's operations.
type Recorder struct {
	d []time.Duration
	n int
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{d: make([]time.Duration, capacity)} }

// Add records one operation's duration.
func (r *Recorder) Add(d time.Duration) {
	r.d[r.n%len(r.d)] = d
	r.n++
}

// Percentile returns the p-th percentile (0 < p ≤ 1, nearest rank) of the recorded durations,
// 0 when there are none.
func (r *Recorder) Percentile(p float64) time.Duration {
	return Of(r.d[:min(r.n, len(r.d))], p)
}

// Of returns the p-th percentile (0 < p ≤ 1, nearest rank) of ds, 0 when there are none; ds
// is left as it was.
func Of(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return s[min(max(int(math.Ceil(p*float64(len(s))))-1, 0), len(s)-1)]
}

// Report adds the median and the 99th percentile to b's figures as p50-ns and p99-ns. The
// two clock reads around each operation add some tens of nanoseconds to both.
func (r *Recorder) Report(b *testing.B) {
	if r.n == 0 {
		return
	}
	b.ReportMetric(float64(r.Percentile(0.50)), "p50-ns")
	b.ReportMetric(float64(r.Percentile(0.99)), "p99-ns")
}
