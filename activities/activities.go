// Package activities holds every side effect of Fireline's workflows: persisting projections and
// timeline events, recommending and reserving units, closing media rooms. Each activity is a
// method on Activities, which receives its collaborators through interfaces so workflows stay
// deterministic and tests can use real stores.
//
// Activities are idempotent: a retried activity writes the same timeline key, reserves the same
// units for the same incident and changes nothing twice.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/resources"
)

// Store is the durable state the activities write. postgres.DB implements it.
type Store interface {
	// AppendEvent writes a timeline event once, and in the same transaction what it changes in
	// the incident's record: a replacement offered or taken, a PAR due or confirmed.
	AppendEvent(ctx context.Context, e fireline.TimelineEvent) error
	SetIncidentStatus(ctx context.Context, id int64, s fireline.IncidentStatus) error
	// SaveRecommendation stores the recommendation with its alternates and the plan slots no
	// unit could fill.
	SaveRecommendation(ctx context.Context, id int64, units, alternates []fireline.Recommendation, short []fireline.PlanSlot) error
	// Unavailable returns those of the given units that are not available for dispatch now:
	// committed to an incident or out of service.
	Unavailable(ctx context.Context, unitIDs []string) ([]string, error)
	// HeldRecommendation reads the recommendation intake made for an incident; false when it
	// made none.
	HeldRecommendation(ctx context.Context, id int64) (fireline.HeldRecommendation, bool, error)
	ReserveUnits(ctx context.Context, incidentID int64, unitIDs []string, at time.Time) ([]fireline.Unit, error)
	SetUnitStatus(ctx context.Context, unitID string, incidentID int64, s fireline.UnitStatus, at time.Time) (fireline.Unit, error)
	ReleaseUnits(ctx context.Context, incidentID int64, at time.Time) ([]string, error)
	SaveReview(ctx context.Context, id int64, r fireline.Review) error

	// AssessIncident stores the assessment; the first one's by and at are kept.
	AssessIncident(ctx context.Context, id int64, t fireline.IncidentType, level int, p fireline.Priority, by string, at time.Time) error
	Premise(ctx context.Context, id string) (fireline.Premise, error)
	Alarm(ctx context.Context, id int64) (fireline.Alarm, error)
	RaiseEscalation(ctx context.Context, e fireline.Escalation, ev fireline.TimelineEvent) (fireline.Escalation, error)
	MarkAgencyTaskEscalated(ctx context.Context, incidentID int64, a fireline.Agency, at time.Time) error
	RequestAgencyTasks(ctx context.Context, tasks []fireline.AgencyTask, events []fireline.TimelineEvent) error
	UpdateAgencyTask(ctx context.Context, incidentID int64, a fireline.Agency, s fireline.AgencyTaskStatus, note, actor string, at time.Time, ev fireline.TimelineEvent) (fireline.AgencyTask, error)
	MergeIncidents(ctx context.Context, from, into int64, at time.Time, actor string) (alarmIDs []int64, units []string, err error)
	CancelOpenAgencyTasks(ctx context.Context, incidentID int64, note string, at time.Time) error
	SplitAlarm(ctx context.Context, from, alarmID int64, at time.Time, actor string) (int64, error)
	// IncidentTypeSnapshot reads a type in force with its run cards; EINVALID when the type
	// does not exist or is retired.
	IncidentTypeSnapshot(ctx context.Context, code fireline.IncidentType) (fireline.TypeSnapshot, error)
}

// Recommender finds the units to send. resources.Recommender implements it.
type Recommender interface {
	Recommend(ctx context.Context, req resources.Request) (resources.Result, error)
}

// Rooms closes an incident's media room when the incident closes. media.Server implements it.
type Rooms interface {
	CloseRoom(room string)
}

// Activities are the side effects of the incident workflow.
type Activities struct {
	store       Store
	recommender Recommender
	rooms       Rooms
	log         *slog.Logger
}

// New returns the activities over the given collaborators. rooms may be nil when this worker
// runs without a media server.
func New(store Store, rec Recommender, rooms Rooms, log *slog.Logger) *Activities {
	return &Activities{store: store, recommender: rec, rooms: rooms, log: log.With("component", "activities")}
}

// RoomName is the media room of an incident.
func RoomName(incidentID int64) string { return fmt.Sprintf("incident:%d", incidentID) }

// RecommendInput asks for the units an incident needs.
type RecommendInput struct {
	IncidentID int64
	Point      fireline.Point
	Type       fireline.IncidentType
	Level      int
	// Exclude lists units already on the incident.
	Exclude []string
	// Have lists the units of each type already on the incident: only the difference to the
	// plan is recommended (reinforcement).
	Have []fireline.PlanSlot
	// Probe asks without storing the answer as the incident's recommendation: a replacement
	// for a silent unit, which the operator sees beside the recommendation.
	Probe bool
	// Slots, when set, are filled instead of the run card (resources.Request.Slots).
	Slots []fireline.PlanSlot
	// Held asks to take over the recommendation intake made when the incident's first alarm
	// was stored (fireline.FirstRecommender), if it was made for this type and level and none of
	// its units has been taken since; otherwise the recommendation is made afresh. Only the
	// incident's first recommendation asks it.
	Held bool
}

// RecommendResult is the recommendation, stored on the incident before it is returned: the
// recommender's own result, which travels in the workflow's history by its field names.
type RecommendResult struct {
	resources.Result
	// HeldAt is set when the result is the recommendation intake held (RecommendInput.Held):
	// when it was stored, and so in the operators' hands.
	HeldAt *time.Time `json:",omitempty"`
}

// Recommend fills the response plan with the fastest available units and stores the result on
// the incident (units, alternates and short slots), so the console shows it without asking the
// workflow. A probe (a replacement for a silent unit) stores nothing here: the workflow offers
// what it picks from it with an EventReplacement, which AppendEvent stores.
//
// The unit index follows PostgreSQL's change feed a few milliseconds behind, so a unit another
// incident reserved a moment ago may still stand in it. Every recommended and alternate unit is
// therefore checked against PostgreSQL, and the recommendation made again without the ones that
// are taken: a unit reserved by one incident is never recommended to another.
func (a *Activities) Recommend(ctx context.Context, in RecommendInput) (RecommendResult, error) {
	if in.Held && !in.Probe && len(in.Exclude) == 0 && len(in.Have) == 0 {
		if res, ok, err := a.held(ctx, in); err != nil || ok {
			return res, err
		}
	}
	res, err := resources.RecommendAvailable(ctx, a.recommender, a.store, resources.Request{
		Point: in.Point, Type: in.Type, Level: in.Level, Exclude: in.Exclude, Have: in.Have, Slots: in.Slots})
	if err != nil {
		return RecommendResult{}, classify("recommend", err)
	}
	if in.Probe {
		return RecommendResult{Result: res}, nil
	}
	if err := a.store.SaveRecommendation(ctx, in.IncidentID, res.Units, res.Alternates, res.Short); err != nil {
		return RecommendResult{}, classify("save recommendation", err)
	}
	return RecommendResult{Result: res}, nil
}

// held is the recommendation intake stored for the incident, when it was made for in's type and
// level and none of its units has been taken since: already on the incident, it is not stored
// again.
func (a *Activities) held(ctx context.Context, in RecommendInput) (RecommendResult, bool, error) {
	h, ok, err := a.store.HeldRecommendation(ctx, in.IncidentID)
	if err != nil {
		return RecommendResult{}, false, classify("read held recommendation", err)
	}
	if !ok {
		return RecommendResult{}, false, nil
	}
	if len(h.Units) == 0 {
		// Every unit of the plan's types was out at intake; some may be back.
		return RecommendResult{}, false, a.superseded(ctx, in.IncidentID, h, "no unit of the plan was available then", nil)
	}
	if h.Type != in.Type || h.Level != in.Level {
		why := fmt.Sprintf("made for %s level %d, assessed since as %s level %d", h.Type, h.Level, in.Type, in.Level)
		return RecommendResult{}, false, a.superseded(ctx, in.IncidentID, h, why, nil)
	}
	res := resources.Result{Units: h.Units, Alternates: h.Alternates, Short: h.Short}
	taken, err := resources.Taken(ctx, a.store, res)
	if err != nil {
		return RecommendResult{}, false, classify("recommend", err)
	}
	// The recommendation stands while its units do; an alternate taken since is only dropped
	// (the operator is offered the others), and the incident's record loses it too.
	if gone := slices.DeleteFunc(fireline.RecommendedUnits(res.Units), func(id string) bool { return !slices.Contains(taken, id) }); len(gone) > 0 {
		a.log.Info("units of the recommendation made at intake taken since; recommending afresh", "incident", in.IncidentID, "taken", gone)
		return RecommendResult{}, false, a.superseded(ctx, in.IncidentID, h, fmt.Sprintf("%v taken by other incidents since", gone), gone)
	}
	if len(taken) > 0 {
		res.Alternates = slices.DeleteFunc(slices.Clone(res.Alternates), func(r fireline.Recommendation) bool { return slices.Contains(taken, r.UnitID) })
		if err := a.store.SaveRecommendation(ctx, in.IncidentID, res.Units, res.Alternates, res.Short); err != nil {
			return RecommendResult{}, false, classify("save recommendation", err)
		}
	}
	at := h.At
	return RecommendResult{Result: res, HeldAt: &at}, true, nil
}

// superseded records on the incident's timeline the recommendation intake made and the
// operators had from then on, which the workflow does not take over (why): the fresh one
// follows it. A retry writes the same key and nothing new.
func (a *Activities) superseded(ctx context.Context, id int64, h fireline.HeldRecommendation, why string, taken []string) error {
	units := fireline.RecommendedUnits(h.Units)
	data := map[string]any{"units": units, "short": h.Short, "level": h.Level, "at_intake": true, "superseded": why}
	if taken != nil {
		data["taken"] = taken
	}
	return classify("append event", a.store.AppendEvent(ctx, fireline.TimelineEvent{
		IncidentID: id, Key: "recommended:intake", At: h.At, Kind: fireline.EventRecommended,
		Detail: heldDetail(units, h.Short) + "; superseded: " + why, Data: data,
	}))
}

func heldDetail(units []string, short []fireline.PlanSlot) string {
	d := fmt.Sprintf("recommended %v at intake", units)
	if len(short) > 0 {
		d += fmt.Sprintf(", short of %v", short)
	}
	return d
}

// AppendEvent writes one timeline event; a repeat of the same key writes nothing. An offered
// replacement or a PAR due or confirmed reaches the incident's record with it.
func (a *Activities) AppendEvent(ctx context.Context, e fireline.TimelineEvent) error {
	return classify("append event", a.store.AppendEvent(ctx, e))
}

// StatusInput moves an incident to a new status and records why on the timeline.
type StatusInput struct {
	IncidentID int64
	Status     fireline.IncidentStatus
	Event      fireline.TimelineEvent
}

// SetIncidentStatus stores the incident's status and its timeline event.
func (a *Activities) SetIncidentStatus(ctx context.Context, in StatusInput) error {
	if err := a.store.SetIncidentStatus(ctx, in.IncidentID, in.Status); err != nil {
		return classify("set incident status", err)
	}
	return classify("append event", a.store.AppendEvent(ctx, in.Event))
}

// ReserveInput commits units to an incident.
type ReserveInput struct {
	IncidentID int64
	UnitIDs    []string
	// At is the dispatch time, decided by the workflow so a retry records the same time.
	At    time.Time
	Event fireline.TimelineEvent
}

// ReserveResult lists the units now committed.
type ReserveResult struct {
	Units []fireline.Unit
}

// ReserveUnits commits the units to the incident in one PostgreSQL transaction. A unit taken by
// another incident fails the whole reservation with a non-retryable conflict.
func (a *Activities) ReserveUnits(ctx context.Context, in ReserveInput) (ReserveResult, error) {
	units, err := a.store.ReserveUnits(ctx, in.IncidentID, in.UnitIDs, in.At)
	if err != nil {
		return ReserveResult{}, classify("reserve units", err)
	}
	if err := a.store.AppendEvent(ctx, in.Event); err != nil {
		return ReserveResult{}, classify("append event", err)
	}
	a.log.Info("units dispatched", "incident", in.IncidentID, "units", in.UnitIDs)
	return ReserveResult{Units: units}, nil
}

// UnitStatusInput records a crew's status change on an incident.
type UnitStatusInput struct {
	IncidentID int64
	UnitID     string
	Status     fireline.UnitStatus
	At         time.Time
	Event      fireline.TimelineEvent
}

// SetUnitStatus stores the unit's new status (releasing it when available) and its event.
func (a *Activities) SetUnitStatus(ctx context.Context, in UnitStatusInput) error {
	if _, err := a.store.SetUnitStatus(ctx, in.UnitID, in.IncidentID, in.Status, in.At); err != nil {
		return classify("set unit status", err)
	}
	return classify("append event", a.store.AppendEvent(ctx, in.Event))
}

// CloseInput closes or cancels an incident.
type CloseInput struct {
	IncidentID int64
	At         time.Time
	Event      fireline.TimelineEvent
	// Status is how the incident ends: closed (the zero value means closed) or cancelled.
	Status fireline.IncidentStatus
}

// CloseIncident releases every unit still committed, closes the media room and marks the
// incident closed or cancelled.
func (a *Activities) CloseIncident(ctx context.Context, in CloseInput) ([]string, error) {
	released, err := a.store.ReleaseUnits(ctx, in.IncidentID, in.At)
	if err != nil {
		return nil, classify("release units", err)
	}
	status := in.Status
	if status == "" {
		status = fireline.IncidentClosed
	}
	if err := a.store.SetIncidentStatus(ctx, in.IncidentID, status); err != nil {
		return nil, classify("close incident", err)
	}
	if err := a.store.CancelOpenAgencyTasks(ctx, in.IncidentID, "incident "+string(status), in.At); err != nil {
		return nil, classify("cancel agency tasks", err)
	}
	if err := a.store.AppendEvent(ctx, in.Event); err != nil {
		return nil, classify("append event", err)
	}
	if a.rooms != nil {
		a.rooms.CloseRoom(RoomName(in.IncidentID))
	}
	return released, nil
}

// ReviewInput is the after-action review computed by the workflow from its own record.
type ReviewInput struct {
	IncidentID int64
	Review     fireline.Review
	Event      fireline.TimelineEvent
}

// WriteReview stores the review's intervals on the incident and marks it reviewed. The
// timeline's event goes first: a reader that sees the incident reviewed then finds the event on
// its timeline too (the two are separate writes, and a retry repeats both harmlessly).
func (a *Activities) WriteReview(ctx context.Context, in ReviewInput) error {
	if err := a.store.AppendEvent(ctx, in.Event); err != nil {
		return classify("append event", err)
	}
	return classify("save review", a.store.SaveReview(ctx, in.IncidentID, in.Review))
}

// classify wraps err for Temporal: a user-facing business rejection (*fireline.Error other than
// unavailable or internal) becomes a non-retryable application error whose type is the error
// code, so the workflow and the API can tell a conflict from an outage; anything else retries.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fireline.Error
	if errors.As(err, &fe) && fe.Code != fireline.EUNAVAILABLE && fe.Code != fireline.EINTERNAL {
		return temporal.NewNonRetryableApplicationError(fe.Message, fe.Code, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
