package main

import (
	"context"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/api"
	"github.com/fireline/fireline/geo"
	"github.com/fireline/fireline/media"
	"github.com/fireline/fireline/postgres"
)

// Adapters never import each other (ARCHITECTURE.md), so the few places where the API's
// interfaces speak differently from an adapter are bridged here, where everything is wired.

// storeAdapter gives the API its Store and Admin over postgres.DB.
type storeAdapter struct{ *postgres.DB }

func (s storeAdapter) ReceiveAlarm(ctx context.Context, a fireline.Alarm, cells []string, window time.Duration) (api.Receipt, error) {
	rc, err := s.DB.ReceiveAlarm(ctx, a, fireline.DedupeRule{Cells: cells, Window: window})
	return api.Receipt{Alarm: rc.Alarm, IncidentID: rc.IncidentID, Merged: rc.Merged, Repeat: rc.Repeat,
		RecordedOnly: rc.RecordedOnly, RelatedIncidentID: rc.RelatedIncidentID}, err
}

func (s storeAdapter) ReceiveWarning(ctx context.Context, w fireline.Warning, raw []byte) (api.WarningReceipt, error) {
	rc, err := s.DB.ReceiveWarning(ctx, w, raw)
	return api.WarningReceipt{Warning: rc.Warning, Repeat: rc.Repeat, Superseded: rc.Superseded}, err
}

func (s storeAdapter) Warnings(ctx context.Context, activeAt time.Time, limit int) ([]fireline.Warning, error) {
	return s.DB.Warnings(ctx, fireline.WarningFilter{ActiveAt: activeAt, Limit: limit})
}

func (s storeAdapter) Incidents(ctx context.Context, openOnly bool, limit int) ([]fireline.Incident, error) {
	return s.DB.Incidents(ctx, fireline.IncidentFilter{OpenOnly: openOnly, Limit: limit})
}

func (s storeAdapter) Units(ctx context.Context, status fireline.UnitStatus, includeRetired bool) ([]fireline.Unit, error) {
	return s.DB.Units(ctx, fireline.UnitFilter{Status: status, IncludeRetired: includeRetired})
}

func (s storeAdapter) Stations(ctx context.Context, includeRetired bool) ([]fireline.Station, error) {
	return s.DB.Stations(ctx, fireline.RefFilter{IncludeRetired: includeRetired})
}

func (s storeAdapter) WaterSources(ctx context.Context, includeRetired bool) ([]fireline.WaterSource, error) {
	return s.DB.WaterSources(ctx, fireline.RefFilter{IncludeRetired: includeRetired})
}

func (s storeAdapter) Premises(ctx context.Context, includeRetired bool) ([]fireline.Premise, error) {
	return s.DB.Premises(ctx, fireline.RefFilter{IncludeRetired: includeRetired})
}

func (s storeAdapter) ResponsePlans(ctx context.Context, includeRetired bool) ([]fireline.ResponsePlan, error) {
	return s.DB.ResponsePlans(ctx, fireline.RefFilter{IncludeRetired: includeRetired})
}

// locator places points on the H3 grid for the API.
type locator struct{}

func (locator) Cell(p fireline.Point) (string, error) {
	c, err := geo.CellOf(p, geo.Resolution)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

func (locator) Neighbours(p fireline.Point, k int) ([]string, error) { return geo.NeighbourCells(p, k) }

// mediaAdapter gives the API its Media over media.Server.
type mediaAdapter struct{ *media.Server }

func (m mediaAdapter) Publish(ctx context.Context, room, stream, offer, owner string) (api.MediaSession, error) {
	s, err := m.Server.Publish(ctx, room, stream, offer, media.WithOwner(owner))
	return api.MediaSession{ID: s.ID, Answer: s.AnswerSDP, ETag: s.ETag}, err
}

func (m mediaAdapter) Play(ctx context.Context, room, stream, offer, owner, layer string) (api.MediaSession, error) {
	l, err := media.ParseLayer(layer)
	if err != nil {
		return api.MediaSession{}, err
	}
	s, err := m.Server.Play(ctx, room, stream, offer, media.WithOwner(owner), media.WithLayer(l))
	return api.MediaSession{ID: s.ID, Answer: s.AnswerSDP, ETag: s.ETag}, err
}

func (m mediaAdapter) Session(room, id string) (api.MediaSessionInfo, error) {
	s, err := m.Server.Session(room, id)
	return api.MediaSessionInfo{Owner: s.Owner, ETag: s.ETag}, err
}

func (m mediaAdapter) ICEServers() []api.ICEServer {
	var out []api.ICEServer
	for _, s := range m.Server.ICEServers() {
		out = append(out, api.ICEServer{URL: s.URL, Username: s.Username, Credential: s.Credential})
	}
	return out
}

func (m mediaAdapter) Streams(room string) []api.StreamInfo {
	var out []api.StreamInfo
	for _, s := range m.Server.Streams(room) {
		out = append(out, apiStream(s))
	}
	return out
}

// apiStream translates a stream's statistics for the API.
func apiStream(s fireline.StreamInfo) api.StreamInfo {
	out := api.StreamInfo{Stream: s.Stream, Tracks: s.Tracks, Viewers: s.Viewers, StartedAt: s.StartedAt,
		Bitrate: s.Bitrate, Packets: s.Packets, Bytes: s.Bytes, PacketsLost: s.PacketsLost, Layers: s.Layers,
		TrackStats: []api.TrackStats{}, ViewerStats: []api.ViewerStat{}}
	for _, t := range s.TrackStats {
		out.TrackStats = append(out.TrackStats, api.TrackStats{Track: t.Track, Kind: t.Kind, Codec: t.Codec, Layer: t.Layer,
			Active: t.Active, Packets: t.Packets, Bytes: t.Bytes, Bitrate: t.Bitrate, PacketsLost: t.PacketsLost, JitterMS: t.JitterMS})
	}
	for _, v := range s.ViewerStats {
		out.ViewerStats = append(out.ViewerStats, api.ViewerStat{Session: v.Session, Owner: v.Owner, Layer: v.Layer, Pinned: v.Pinned,
			Bitrate: v.Bitrate, Estimate: v.Estimate, FractionLost: v.FractionLost})
	}
	return out
}

func (s storeAdapter) Escalations(ctx context.Context, openOnly bool, incidentID int64) ([]fireline.Escalation, error) {
	return s.DB.Escalations(ctx, fireline.EscalationFilter{OpenOnly: openOnly, IncidentID: incidentID})
}
