package media

import (
	"time"

	"github.com/pion/webrtc/v3"

	"github.com/fireline/fireline"
)

// Stats is the server's state at a glance, for the metrics endpoint.
type Stats struct {
	Rooms, Publishers, Viewers int
	// ForwardedPackets and ForwardedBytes count what was sent to viewers since start.
	ForwardedPackets, ForwardedBytes uint64
	// Streams are every live stream with its room.
	Streams []RoomStream
}

// RoomStream is a stream with the room it is in.
type RoomStream struct {
	Room string
	fireline.StreamInfo
}

// stats describes the stream. Its lists of tracks and viewers are never nil: the consoles are
// given [] rather than null.
func (st *stream) stats() fireline.StreamInfo {
	now := time.Now()
	info := fireline.StreamInfo{Stream: st.name, StartedAt: st.startedAt,
		TrackStats: []fireline.TrackStats{}, ViewerStats: []fireline.ViewerStat{}}
	for _, t := range st.trackList() {
		c := t.codecOf()
		if c.MimeType != "" {
			info.Tracks = append(info.Tracks, c.MimeType)
		}
		for i, l := range t.layers {
			if t.kind == webrtc.RTPCodecTypeVideo && l.rid != "" {
				info.Layers = append(info.Layers, l.rid)
			}
			if !l.running.Load() && l.stats.packets.Load() == 0 {
				continue
			}
			ti := fireline.TrackStats{
				Track: t.id, Kind: t.kind.String(), Codec: c.MimeType, Layer: l.rid, Active: t.layerActive(i, now),
				Packets: l.stats.packets.Load(), Bytes: l.stats.bytes.Load(), Bitrate: l.rate.get(),
				PacketsLost: l.stats.lost.Load(), JitterMS: l.stats.jitterMS(c.ClockRate),
			}
			info.TrackStats = append(info.TrackStats, ti)
			info.Packets += ti.Packets
			info.Bytes += ti.Bytes
			info.Bitrate += ti.Bitrate
			info.PacketsLost += ti.PacketsLost
		}
	}
	for _, v := range st.viewerList() {
		vi := fireline.ViewerStat{Session: v.id, Owner: v.owner}
		if at := v.estimateAt.Load(); at != 0 && now.Sub(time.Unix(0, at)) < 5*time.Second {
			vi.Estimate = v.estimate.Load()
		}
		for _, d := range v.downs {
			vi.Bitrate += d.rate.get()
			if d.t.kind != webrtc.RTPCodecTypeVideo {
				continue
			}
			vi.FractionLost = float64(d.fractionLost.Load()) / 256
			cur, target, pinned := d.layers()
			if cur < 0 {
				cur = target
			}
			vi.Layer, vi.Pinned = d.t.layers[cur].rid, pinned >= 0
		}
		info.ViewerStats = append(info.ViewerStats, vi)
	}
	info.Viewers = len(info.ViewerStats)
	return info
}

// Stats returns the server's counts and every live stream's statistics.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	sts := make([]*stream, 0, len(s.streams))
	rooms := map[string]bool{}
	for k, st := range s.streams {
		sts = append(sts, st)
		rooms[k.room] = true
	}
	s.mu.Unlock()
	out := Stats{Rooms: len(rooms), Publishers: len(sts),
		ForwardedPackets: s.retiredPackets.Load(), ForwardedBytes: s.retiredBytes.Load()}
	for _, st := range sts {
		info := st.stats()
		out.Viewers += info.Viewers
		out.Streams = append(out.Streams, RoomStream{Room: st.room, StreamInfo: info})
		for _, v := range st.viewerList() {
			for _, d := range v.downs {
				out.ForwardedPackets += d.sentPackets.Load()
				out.ForwardedBytes += d.sentBytes.Load()
			}
		}
	}
	// A viewer leaving is counted among the retired a moment after it left its stream; the
	// totals are counters and must never appear to go back.
	s.statsMu.Lock()
	s.forwarded[0] = max(s.forwarded[0], out.ForwardedPackets)
	s.forwarded[1] = max(s.forwarded[1], out.ForwardedBytes)
	out.ForwardedPackets, out.ForwardedBytes = s.forwarded[0], s.forwarded[1]
	s.statsMu.Unlock()
	return out
}

// sampler measures every rate once a second and lets each viewer of a simulcast stream pick
// its layer. One goroutine for the whole server: the forwarding loops only count.
func (s *Server) sampler() {
	defer close(s.samplerDone)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.stopSampler:
			return
		case now := <-tick.C:
			s.mu.Lock()
			sts := make([]*stream, 0, len(s.streams))
			for _, st := range s.streams {
				sts = append(sts, st)
			}
			s.mu.Unlock()
			for _, st := range sts {
				for _, t := range st.trackList() {
					for _, l := range t.layers {
						l.rate.sample(now, l.stats.bytes.Load())
					}
				}
				for _, v := range st.viewerList() {
					for _, d := range v.downs {
						d.rate.sample(now, d.sentBytes.Load())
						if len(d.t.layers) > 1 {
							d.selectLayer(now)
						}
					}
				}
			}
		}
	}
}
