package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runConfig is one load run: Publishers streams from Slots, Viewers viewers of each, measured
// for Duration once every peer is connected.
type runConfig struct {
	Target     string
	Slots      []Slot
	Publishers int
	Viewers    int
	Duration   time.Duration
	Frames     [][]byte
	ServerPID  int
	Idle       time.Duration // how long the server's idle CPU is measured first
	Settle     time.Duration // wait after the last viewer connected, before measuring
	// Janus, when set, is the base URL of a Janus server's HTTP API: the run publishes and
	// plays through its VideoRoom instead of WHIP/WHEP.
	Janus string
}

// joinParallel caps the WHIP/WHEP exchanges in flight: each gathers ICE and runs a DTLS
// handshake, and on two cores a burst of them would time each other out.
const joinParallel = 4

func runLoad(ctx context.Context, cfg runConfig, log *slog.Logger) (Result, error) {
	res := Result{Target: cfg.Target, Publishers: cfg.Publishers, Viewers: cfg.Viewers, ServerPID: cfg.ServerPID}
	if len(cfg.Slots) < cfg.Publishers {
		return res, fmt.Errorf("%d slots for %d publishers", len(cfg.Slots), cfg.Publishers)
	}
	api, err := newAPI()
	if err != nil {
		return res, err
	}
	// Every peer keeps its own connections; Janus's long polls hold one each.
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var sig signaller = whipSignaller{client: client}
	if cfg.Janus != "" {
		sig = janusSignaller{client: client, base: strings.TrimRight(cfg.Janus, "/")}
	}

	idle0, err := cpuSeconds(cfg.ServerPID)
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	if err := sleep(ctx, cfg.Idle); err != nil {
		return res, err
	}
	idle1, err := cpuSeconds(cfg.ServerPID)
	if err != nil {
		return res, err
	}
	res.IdleCPURate = (idle1 - idle0) / time.Since(t0).Seconds()

	var measuring atomic.Bool
	pubs := make([]*publisher, cfg.Publishers)
	var views []*viewer
	defer func() {
		// Viewers first, so no server writes to a viewer whose publisher is going.
		for _, v := range views {
			v.close()
		}
		for _, p := range pubs {
			if p != nil {
				p.close()
			}
		}
	}()

	errs := parallel(cfg.Publishers, func(i int) error {
		p, err := startPublisher(ctx, api, sig, cfg.Slots[i], cfg.Frames, &measuring)
		pubs[i] = p
		return err
	})
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	log.Info("publishers connected", "n", cfg.Publishers)

	all := make([]*viewer, cfg.Publishers*cfg.Viewers)
	errs = parallel(len(all), func(i int) error {
		v, err := startViewer(ctx, api, sig, cfg.Slots[i%cfg.Publishers], &measuring)
		all[i] = v
		return err
	})
	for i, v := range all {
		if v != nil {
			views = append(views, v)
		} else {
			res.Failed++
			log.Warn("viewer failed", "err", errs[i])
		}
	}
	if len(views) == 0 {
		return res, fmt.Errorf("no viewer connected: %w", errors.Join(errs...))
	}
	log.Info("viewers receiving", "n", len(views), "failed", res.Failed)
	if err := sleep(ctx, cfg.Settle); err != nil {
		return res, err
	}

	self := os.Getpid()
	srv0, err1 := cpuSeconds(cfg.ServerPID)
	own0, err2 := cpuSeconds(self)
	start := time.Now()
	measuring.Store(true)
	err3 := sleep(ctx, cfg.Duration)
	measuring.Store(false)
	res.Seconds = time.Since(start).Seconds()
	srv1, err4 := cpuSeconds(cfg.ServerPID)
	own1, err5 := cpuSeconds(self)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return res, err
	}
	res.ServerCPUSeconds, res.LoaderCPUSeconds = srv1-srv0, own1-own0

	for _, p := range pubs {
		res.SentPackets += p.packets.Load()
		res.SentBytes += p.bytes.Load()
		res.FramesSent += p.frames.Load()
	}
	var lat []int64
	for _, v := range views {
		v.mu.Lock()
		unique, expected := v.seq.counts()
		if unique > 0 {
			res.Forwarded++
		}
		res.RecvPackets += v.packets
		res.RecvBytes += v.bytes
		res.Expected += expected
		res.FramesSeen += v.frames
		if expected > 0 {
			res.LossMaxPct = max(res.LossMaxPct, 100*float64(expected-unique)/float64(expected))
		}
		lat = append(lat, v.latUS...)
		v.mu.Unlock()
	}
	res.Failed += len(views) - res.Forwarded
	if res.Expected > 0 {
		res.LossPct = 100 * float64(res.Expected-res.RecvPackets) / float64(res.Expected)
	}
	latencySummary(&res, lat)
	return res, nil
}

// parallel runs f(0)…f(n-1), joinParallel at a time, and returns their errors by index.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, joinParallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errs
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
