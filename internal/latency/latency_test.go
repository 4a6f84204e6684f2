package latency_test

import (
	"testing"
	"time"

	"github.com/fireline/fireline/internal/latency"
)

func TestPercentile(t *testing.T) {
	r := latency.NewRecorder()
	if got := r.Percentile(0.99); got != 0 {
		t.Errorf("empty: p99 %v, want 0", got)
	}
	// 1..1000 µs, out of order.
	for i := range 1000 {
		r.Add(time.Duration((i*7919)%1000+1) * time.Microsecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{0.50, 500 * time.Microsecond},
		{0.99, 990 * time.Microsecond},
		{1, 1000 * time.Microsecond},
		{0.0001, time.Microsecond},
	}
	for _, tt := range tests {
		if got := r.Percentile(tt.p); got != tt.want {
			t.Errorf("p%g = %v, want %v", 100*tt.p, got, tt.want)
		}
	}
}
