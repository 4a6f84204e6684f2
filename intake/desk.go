package intake

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/geo"
)

// DeskConfig says when two alarms are the same emergency.
type DeskConfig struct {
	// DedupeRing is how many H3 rings around an alarm's cell count as "the same place".
	DedupeRing int
	// DedupeWindow is how long an incident keeps absorbing compatible alarms.
	DedupeWindow time.Duration
	// StoreWait bounds storing one alarm (waiting for a pooled connection included): past it
	// the source is told the database is unavailable and to come back, rather than kept
	// waiting for an answer it may never get. Zero waits as long as the caller does.
	StoreWait time.Duration
	// HandoffWait bounds the hand-off to the incident's workflow once the desk may leave a
	// stored alarm to the starter (RecoverHandoffs): past it the alarm is acknowledged with
	// its hand-off pending. Zero waits as long as the caller does.
	HandoffWait time.Duration
	// FirstWait bounds the recommendation made at intake (RecommendFirst): past it the alarm is
	// answered without one, and its workflow recommends. Zero waits as long as the caller does.
	FirstWait time.Duration
}

// DefaultDeskConfig is the standard configuration.
func DefaultDeskConfig() DeskConfig {
	return DeskConfig{DedupeRing: 1, DedupeWindow: 30 * time.Minute, StoreWait: 5 * time.Second, HandoffWait: 3 * time.Second, FirstWait: time.Second}
}

// Desk is the intake desk, one for every source: each payload goes through its source's
// adapter, the alarm is placed on the H3 grid, stored durably and handed to its incident, and
// only then is the source answered. The HTTP endpoints call it, and so may a listener or an
// importer. It is safe for concurrent use.
type Desk struct {
	in        *Intake
	alarms    fireline.AlarmStore
	warnings  fireline.WarningStore
	incidents fireline.IncidentService
	// handoffs, when set, records each alarm's hand-off, and lets the desk acknowledge an
	// alarm the workflow engine did not take: the starter hands it on later.
	handoffs fireline.HandoffStore
	// first, when set, recommends units for a new incident before the source is answered.
	first fireline.FirstRecommender
	cfg   DeskConfig
	log   *slog.Logger
}

// Desk is the intake service the API calls.
var _ fireline.IntakeService = (*Desk)(nil)

// NewDesk returns the desk that reads payloads with in's adapters, stores alarms and warnings
// and hands alarms to the incidents.
func NewDesk(in *Intake, alarms fireline.AlarmStore, warnings fireline.WarningStore, incidents fireline.IncidentService, cfg DeskConfig, log *slog.Logger) *Desk {
	return &Desk{in: in, alarms: alarms, warnings: warnings, incidents: incidents, cfg: cfg, log: log.With("component", "intake")}
}

// RecoverHandoffs makes the desk record each alarm's hand-off in h, and acknowledge an alarm
// stored while the workflow engine does not answer, with its receipt's Handoff pending, rather
// than failing it: a Starter on the worker nodes, reading the same h, hands it on. Without it
// (the default) such an alarm fails and its source must retry. Call it before the desk serves.
func (d *Desk) RecoverHandoffs(h fireline.HandoffStore) { d.handoffs = h }

// RecommendFirst makes the desk recommend units for each incident an alarm opens, from the
// in-memory unit index, before the source is answered: the recommendation is in the alarm's
// answer and on the incident at once, not only once the incident's workflow has started. A
// recommendation that fails or takes longer than DeskConfig.FirstWait is left to the
// workflow. Call it before the desk serves.
func (d *Desk) RecommendFirst(f fireline.FirstRecommender) { d.first = f }

// ReceiveAlarm reads payload with the format's adapter, places the alarm on the grid, stores it
// durably and hands it to its incident. A repeat (same source and source id) answers the same
// ids and is handed on again, so a source retrying after a failure loses nothing. An alarm
// that opens no incident is only stored; a panel's reset is also handed to the open incident
// its device's fire alarm opened, which decides what it means.
//
// A request signed with an API key (fireline.AlarmGrantFrom) posts only its key's source, and
// only source ids within its prefix: anything else is refused before it is stored.
func (d *Desk) ReceiveAlarm(ctx context.Context, format fireline.AlarmFormat, payload []byte) (fireline.AlarmReceipt, error) {
	grant, signed := fireline.AlarmGrantFrom(ctx)
	if signed {
		if err := grant.PermitsFormat(format); err != nil {
			return fireline.AlarmReceipt{}, err
		}
	}
	read, err := d.adapter(format)
	if err != nil {
		return fireline.AlarmReceipt{}, err
	}
	a, err := read(ctx, payload)
	if err != nil {
		return fireline.AlarmReceipt{}, err
	}
	if signed {
		if err := grant.PermitsAlarm(a); err != nil {
			return fireline.AlarmReceipt{}, err
		}
	}
	return d.receive(ctx, a)
}

// receive places a validated alarm on the grid, stores it durably and hands it to its
// incident: the path every source's alarm takes, whether an adapter read it from a payload or
// a listener built it from a device's frame.
func (d *Desk) receive(ctx context.Context, a fireline.Alarm) (fireline.AlarmReceipt, error) {
	var err error
	if a.Cell, err = cellOf(a.Point); err != nil {
		return fireline.AlarmReceipt{}, fireline.Errorf(fireline.EINVALID, "lat/lng: %v", err)
	}
	cells, err := geo.NeighbourCells(a.Point, d.cfg.DedupeRing)
	if err != nil {
		return fireline.AlarmReceipt{}, err
	}
	rc, err := d.store(ctx, a, fireline.DedupeRule{Cells: cells, Window: d.cfg.DedupeWindow})
	if err != nil {
		return fireline.AlarmReceipt{}, err
	}
	if opened := !rc.Merged && !rc.Repeat && !rc.RecordedOnly && rc.IncidentID != 0; opened && d.first != nil {
		rc.Recommendation = d.recommendFirst(ctx, rc)
	}
	switch {
	case rc.RecordedOnly && rc.RelatedIncidentID != 0:
		err = d.incidents.AlarmRecorded(ctx, rc.RelatedIncidentID, rc.Alarm)
		if fireline.ErrorCode(err) == fireline.ECONFLICT {
			// The incident has finished meanwhile: the reset is stored, nothing to tell.
			d.log.Info("reset for a finished incident", "alarm", rc.Alarm.ID, "incident", rc.RelatedIncidentID)
			err = nil
		}
	case !rc.RecordedOnly:
		rc.Handoff, err = d.handOff(ctx, rc.Alarm)
	}
	if err != nil {
		return fireline.AlarmReceipt{}, err
	}
	d.log.Info("alarm received", "alarm", rc.Alarm.ID, "incident", rc.IncidentID, "source", a.Source, "kind", a.Kind,
		"merged", rc.Merged, "repeat", rc.Repeat, "recorded_only", rc.RecordedOnly, "related_incident", rc.RelatedIncidentID,
		"handoff", rc.Handoff)
	return rc, nil
}

// recommendFirst recommends units for the incident rc's alarm opened, within FirstWait. A
// failure costs the operator only the head start: the workflow recommends as it always has.
func (d *Desk) recommendFirst(ctx context.Context, rc fireline.AlarmReceipt) []fireline.Recommendation {
	if d.cfg.FirstWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.FirstWait)
		defer cancel()
	}
	recs, err := d.first.RecommendFirst(ctx, rc.IncidentID, rc.Alarm)
	switch {
	case fireline.ErrorCode(err) == fireline.ENOTFOUND:
		d.log.Info("nothing recommended at intake; the incident's workflow recommends", "incident", rc.IncidentID, "reason", err)
		return nil
	case err != nil:
		d.log.Warn("recommendation at intake failed; the incident's workflow recommends", "incident", rc.IncidentID, "error", err)
		return nil
	}
	return recs
}

// store stores the alarm durably, within StoreWait: a database that cannot take it soon (its
// connections all busy, a statement slow) is unavailable to the source, which retries with the
// same source id. Should the deadline fall just as the transaction commits, the retry finds
// the alarm stored and answers it as a repeat.
func (d *Desk) store(ctx context.Context, a fireline.Alarm, rule fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	if d.cfg.StoreWait <= 0 {
		return d.alarms.ReceiveAlarm(ctx, a, rule)
	}
	sctx, cancel := context.WithTimeout(ctx, d.cfg.StoreWait)
	defer cancel()
	rc, err := d.alarms.ReceiveAlarm(sctx, a, rule)
	if err != nil && sctx.Err() != nil && ctx.Err() == nil && fireline.ErrorCode(err) != fireline.EUNAVAILABLE {
		return rc, fmt.Errorf("store alarm: %w: %w", fireline.Errorf(fireline.EUNAVAILABLE, "the database did not store the alarm in %s; try again", d.cfg.StoreWait), err)
	}
	return rc, err
}

// handOff hands a stored alarm, which opened or joined an incident, to the incident's
// workflow. With RecoverHandoffs the alarm is then marked handed off; if the engine does not
// answer (unavailable, or not within HandoffWait) the alarm is already durable and left
// unmarked, so the answer is HandoffPending and the starter finishes the job. Any other
// failure is the source's to see, as before.
func (d *Desk) handOff(ctx context.Context, a fireline.Alarm) (string, error) {
	if d.handoffs == nil {
		return "", d.incidents.AlarmReceived(ctx, a.IncidentID, a, a)
	}
	hctx, cancel := ctx, context.CancelFunc(func() {})
	if d.cfg.HandoffWait > 0 {
		hctx, cancel = context.WithTimeout(ctx, d.cfg.HandoffWait)
	}
	defer cancel()
	err := d.incidents.AlarmReceived(hctx, a.IncidentID, a, a)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return "", err // the source went away; the starter still hands the alarm on
	case fireline.ErrorCode(err) == fireline.EUNAVAILABLE || hctx.Err() != nil:
		d.log.Warn("alarm stored; its hand-off is pending until the workflow engine answers",
			"alarm", a.ID, "incident", a.IncidentID, "error", err)
		return fireline.HandoffPending, nil
	default:
		return "", err
	}
	// The alarm is with its workflow; failing to mark it only means the starter hands it on
	// again, which the workflow ignores.
	if err := d.handoffs.MarkHandedOff(ctx, a.ID); err != nil {
		d.log.Warn("alarm handed off but not marked so; the starter will hand it off again", "alarm", a.ID, "error", err)
	}
	return "", nil
}

// adapter is the adapter that reads format.
func (d *Desk) adapter(format fireline.AlarmFormat) (func(context.Context, []byte) (fireline.Alarm, error), error) {
	switch format {
	case fireline.FormatAlarm:
		return d.in.Alarm, nil
	case fireline.FormatCall:
		return d.in.Call, nil
	case fireline.FormatIoT:
		return d.in.IoT, nil
	case fireline.FormatLampPost:
		return d.in.LampPost, nil
	case fireline.FormatPublic:
		return d.in.Public, nil
	}
	return nil, fmt.Errorf("intake: no adapter reads alarm format %q", format)
}

// cellOf is the resolution-9 cell of p as a hex string.
func cellOf(p fireline.Point) (string, error) {
	c, err := geo.CellOf(p, geo.Resolution)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

// ReceiveWarning reads a CAP 1.2 alert, maps it onto the service area and stores it with the
// XML it came as. It opens no incident. A request signed with an API key posts warnings only
// with a CAP key, and only of senders within its prefix.
func (d *Desk) ReceiveWarning(ctx context.Context, payload []byte) (fireline.WarningReceipt, error) {
	grant, signed := fireline.AlarmGrantFrom(ctx)
	if signed && grant.Source != fireline.SourceCAP {
		return fireline.WarningReceipt{}, grant.PermitsWarning(fireline.Warning{})
	}
	w, err := d.in.CAP(ctx, payload)
	if err != nil {
		return fireline.WarningReceipt{}, err
	}
	if signed {
		if err := grant.PermitsWarning(w); err != nil {
			return fireline.WarningReceipt{}, err
		}
	}
	rc, err := d.warnings.ReceiveWarning(ctx, w, payload)
	if err != nil {
		return fireline.WarningReceipt{}, err
	}
	st := rc.Warning
	d.log.Info("warning received", "warning", st.ID, "sender", st.Sender, "identifier", st.Identifier, "msg_type", st.MsgType,
		"cells", len(st.Cells), "in_service_area", st.InServiceArea, "repeat", rc.Repeat, "superseded", rc.Superseded)
	return rc, nil
}
