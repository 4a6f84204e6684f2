package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Result is one load run against one target: N publishers, M viewers of each, for a measured
// window of Seconds. The loader prints it as one JSON line; scripts/benchmediareport reads it.
type Result struct {
	Target     string  `json:"target"`
	Publishers int     `json:"publishers"`
	Viewers    int     `json:"viewers_per_stream"`
	Seconds    float64 `json:"seconds"` // the measured window, after every peer connected
	// Forwarded is the number of viewers that received media in the window: the forwarded
	// streams the server's CPU is divided by. Failed counts viewers that never did.
	Forwarded int `json:"forwarded"`
	Failed    int `json:"failed"`

	SentPackets uint64 `json:"sent_packets"`
	SentBytes   uint64 `json:"sent_bytes"` // RTP payload bytes, over all publishers
	RecvPackets uint64 `json:"recv_packets"`
	RecvBytes   uint64 `json:"recv_bytes"` // RTP payload bytes, over all viewers
	// Expected is the packets the viewers should have received in the window, from the RTP
	// sequence numbers they saw; LossPct is 100 × (1 − unique received / expected) over all
	// viewers, LossMaxPct the worst viewer's.
	Expected   uint64  `json:"expected_packets"`
	LossPct    float64 `json:"loss_pct"`
	LossMaxPct float64 `json:"loss_max_pct"`
	// FramesSent and FramesSeen count stamped frames (FramesSeen over all viewers).
	FramesSent uint64 `json:"frames_sent"`
	FramesSeen uint64 `json:"frames_seen"`

	// Latency is per packet: from the wall clock just before its frame's first packet was
	// written by the publisher to its arrival at a viewer, in microseconds.
	LatencySamples int   `json:"latency_samples"`
	LatencyP50us   int64 `json:"latency_p50_us"`
	LatencyP99us   int64 `json:"latency_p99_us"`
	LatencyMaxus   int64 `json:"latency_max_us"`

	// ServerPID's CPU time (user + system) over the window, and its idle rate (CPU seconds per
	// second, measured before any peer connected), so the report can charge forwarding alone.
	ServerPID        int     `json:"server_pid"`
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	IdleCPURate      float64 `json:"server_idle_cpu_per_s"`
	// LoaderCPUSeconds is this process's CPU over the window: it shares the machine's cores.
	LoaderCPUSeconds float64 `json:"loader_cpu_s"`

	Error string `json:"error,omitempty"`
}

// ForwardingCores is the server's CPU spent forwarding, in cores: its CPU over the window
// less its idle rate, per second.
func (r Result) ForwardingCores() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return max(0, r.ServerCPUSeconds-r.IdleCPURate*r.Seconds) / r.Seconds
}

// StreamsPerCore is how many forwarded streams one core would carry at the measured cost.
func (r Result) StreamsPerCore() float64 {
	c := r.ForwardingCores()
	if c <= 0 || r.Forwarded == 0 {
		return 0
	}
	return float64(r.Forwarded) / c
}

// percentile returns the p-th percentile (0–100) of sorted by the nearest-rank method.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func latencySummary(r *Result, us []int64) {
	slices.Sort(us)
	r.LatencySamples = len(us)
	r.LatencyP50us = percentile(us, 50)
	r.LatencyP99us = percentile(us, 99)
	if len(us) > 0 {
		r.LatencyMaxus = us[len(us)-1]
	}
}

// seqCounter counts the unique RTP sequence numbers a viewer received and the span they
// cover, extending the 16-bit numbers across wraps. Retransmissions count once.
type seqCounter struct {
	started  bool
	last     uint16
	cycles   uint64 // wraps seen, in units of 1<<16
	min, max uint64 // extended sequence numbers
	seen     map[uint64]struct{}
}

// add records seq and reports whether it was new.
func (c *seqCounter) add(seq uint16) bool {
	if c.seen == nil {
		c.seen = map[uint64]struct{}{}
	}
	if !c.started {
		c.started = true
		c.last = seq
		c.cycles = 1 << 16 // room below for a reordered packet from before the first
		ext := c.cycles + uint64(seq)
		c.min, c.max = ext, ext
		c.seen[ext] = struct{}{}
		return true
	}
	// A forward step of less than half the space is newer; anything else is older (reordered
	// or retransmitted), possibly from before a wrap.
	cycles := c.cycles
	if diff := seq - c.last; diff < 1<<15 {
		if seq < c.last {
			cycles += 1 << 16
		}
		c.cycles, c.last = cycles, seq
	} else if seq > c.last {
		cycles -= 1 << 16
	}
	ext := cycles + uint64(seq)
	c.min, c.max = min(c.min, ext), max(c.max, ext)
	if _, dup := c.seen[ext]; dup {
		return false
	}
	c.seen[ext] = struct{}{}
	return true
}

// counts returns the unique packets received and the packets the span says were sent.
func (c *seqCounter) counts() (unique, expected uint64) {
	if !c.started {
		return 0, 0
	}
	return uint64(len(c.seen)), c.max - c.min + 1
}

// userHZ is the unit of /proc/<pid>/stat's CPU times: USER_HZ, 100 on every Linux ABI.
const userHZ = 100

// cpuSeconds returns the user plus system CPU time of process pid so far.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/<pid>/stat line. The
// command name (field 2) is parenthesised and may hold spaces, so fields count from its ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat %q: no command name", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat %q: too few fields", stat)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat %q: utime or stime is not a number", stat)
	}
	return float64(utime+stime) / userHZ, nil
}
