package exchange

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fireline/fireline"
)

// EIDOConfig names the centre in the documents it issues.
type EIDOConfig struct {
	// AgencyID is the centre's globally unique agency identifier, a domain name it holds:
	// "fire.liaocheng.example". Incident tracking ids end with it, and the joint agencies'
	// identifiers are made under its parent domain ("police.liaocheng.example").
	AgencyID string
	// Country (ISO 3166-1 alpha-2), Region (A1) and City (A3) begin the civic address of every
	// location: the centre's service area. The address itself is free text (LOC).
	Country, Region, City string
}

// DefaultEIDOConfig names the sample city's centre.
func DefaultEIDOConfig() EIDOConfig {
	return EIDOConfig{AgencyID: "fire.liaocheng.example", Country: "CN", Region: "Shandong", City: "Liaocheng"}
}

// Validate checks that the agency id is a domain name with a parent (two labels at least).
func (c EIDOConfig) Validate() error {
	labels := strings.Split(c.AgencyID, ".")
	if len(labels) < 2 {
		return fireline.Errorf(fireline.EINVALID, "eido agency id %q: a domain name of two labels or more (fire.liaocheng.example)", c.AgencyID)
	}
	for _, l := range labels {
		if l == "" || strings.Trim(strings.ToLower(l), "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return fireline.Errorf(fireline.EINVALID, "eido agency id %q: label %q is not letters, digits and '-'", c.AgencyID, l)
		}
	}
	return nil
}

// EIDO assembles an incident's EIDO document from the read model: the incident's projection,
// its timeline and its alarms. It never asks the workflow, so a closed or merged incident
// exports as well as a live one.
type EIDO struct {
	incidents fireline.IncidentStore
	alarms    fireline.AlarmStore
	// types name administrators' own incident types; nil names only the built-in ones.
	types fireline.IncidentTypeStore
	cfg   EIDOConfig
}

// NewEIDO builds the exporter over the read model (postgres.DB is all three stores); types may
// be nil.
func NewEIDO(incidents fireline.IncidentStore, alarms fireline.AlarmStore, types fireline.IncidentTypeStore, cfg EIDOConfig) *EIDO {
	return &EIDO{incidents: incidents, alarms: alarms, types: types, cfg: cfg}
}

// IncidentEIDO implements fireline.EIDOExporter.
func (e *EIDO) IncidentEIDO(ctx context.Context, incidentID int64, content fireline.EIDOContent) (json.RawMessage, error) {
	doc, err := e.Document(ctx, incidentID, content)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("eido: encode incident %d: %w", incidentID, err)
	}
	return b, nil
}

// Document is the incident's EIDO with what content allows; ENOTFOUND when there is no such
// incident.
func (e *EIDO) Document(ctx context.Context, incidentID int64, content fireline.EIDOContent) (Document, error) {
	inc, err := e.incidents.Incident(ctx, incidentID)
	if err != nil {
		return Document{}, err
	}
	events, err := e.incidents.Timeline(ctx, incidentID)
	if err != nil {
		return Document{}, fmt.Errorf("eido: timeline of incident %d: %w", incidentID, err)
	}
	alarms, err := e.alarms.IncidentAlarms(ctx, incidentID)
	if err != nil {
		return Document{}, fmt.Errorf("eido: alarms of incident %d: %w", incidentID, err)
	}
	b := builder{cfg: e.cfg, inc: inc, events: events, agents: map[string]bool{}, callers: content == fireline.EIDOWhole}
	return b.build(e.typeDef(ctx, inc.Type), alarms), nil
}

// typeDef is the incident's type as the administrators keep it, else as it was built in, else
// its code alone: its name is a courtesy and its category picks a common type for a type the
// common list cannot know; the code is what identifies the type.
func (e *EIDO) typeDef(ctx context.Context, t fireline.IncidentType) fireline.TypeDefinition {
	if e.types != nil {
		if d, err := e.types.IncidentTypeDef(ctx, t); err == nil {
			return d
		}
	}
	for _, d := range fireline.BuiltinTypes() {
		if d.Code == t {
			return d
		}
	}
	return fireline.TypeDefinition{Code: t, NameEN: string(t), Category: fireline.CategoryOther}
}

// TrackingID is an incident's NENA incident tracking identifier (NENA-STA-010), globally
// unique because it ends with the centre's agency id.
func TrackingID(agencyID string, incidentID int64) string {
	return fmt.Sprintf("urn:emergency:uid:incidentid:%d:%s", incidentID, agencyID)
}

// builder collects one document's components.
type builder struct {
	cfg    EIDOConfig
	inc    fireline.Incident
	events []fireline.TimelineEvent
	doc    Document
	// agents are the actors already listed as agents, by $id.
	agents map[string]bool
	// callers is whether callers' numbers and words go in (fireline.EIDOWhole).
	callers bool
}

func (b *builder) build(def fireline.TypeDefinition, alarms []fireline.Alarm) Document {
	inc := b.inc
	b.doc = Document{
		Prologue:       b.prologue(TrackingID(b.cfg.AgencyID, inc.ID), inc.UpdatedAt),
		Version:        EIDOVersion,
		IssuingElement: "cad." + b.cfg.AgencyID,
		Context:        map[string]string{"@vocab": eidoContext},
	}
	loc := b.location()
	b.doc.Incident = Incident{
		Prologue:         b.prologue(b.id("incident", "0"), inc.UpdatedAt),
		TypeInternalCode: string(inc.Type),
		TypeInternalText: def.NameEN,
		TypeCommon:       CommonIncidentType(inc.Type, def.Category),
		StatusInternal:   []string{string(inc.Status)},
		InternalID:       strconv.FormatInt(inc.ID, 10),
		Locations:        []Ref{loc},
		PriorityInternal: priorityText(inc),
		PriorityNumber:   int(inc.Priority),
	}
	b.doc.Agencies = []Agency{{
		Prologue: b.prologue(b.cfg.AgencyID, inc.UpdatedAt),
		Roles:    []string{"CallReceiving", "Dispatching"},
		Types:    []string{"psap", "fire"},
		Owning:   true,
	}}
	b.alarms(alarms, loc)
	b.units(loc)
	b.agencyTasks()
	b.timelineNotes()
	b.merges()
	return b.doc
}

// id is the $id of one of the incident's own components: the tracking id, the kind and a key.
func (b *builder) id(kind, key string) string {
	return TrackingID(b.cfg.AgencyID, b.inc.ID) + ":" + kind + ":" + key
}

func (b *builder) prologue(id string, at time.Time) Prologue {
	return Prologue{ID: id, LastUpdate: at.UTC(), UpdatedByAgency: Ref{b.cfg.AgencyID}}
}

// agent lists an actor (an operator's username, or an automaton such as "pre-plan") as an
// agent of the centre and returns the reference to it; nil for no actor.
func (b *builder) agent(actor string, at time.Time) *Ref {
	if actor == "" {
		return nil
	}
	id := actor + "@" + b.cfg.AgencyID
	if !b.agents[id] {
		b.agents[id] = true
		b.doc.Agents = append(b.doc.Agents, Agent{
			Prologue: b.prologue(id, at), Roles: []string{"Dispatching"}, Agency: Ref{b.cfg.AgencyID},
		})
		b.doc.Incident.Agents = append(b.doc.Incident.Agents, Ref{id})
	}
	return &Ref{id}
}

// note adds a note and returns the reference to it; text is plain and is escaped for HTML5.
func (b *builder) note(key string, at time.Time, actor, text string) Ref {
	n := Note{Prologue: b.prologue(b.id("note", key), at), Text: html.EscapeString(text), Agent: b.agent(actor, at)}
	n.UpdatedByAgent = n.Agent
	b.doc.Notes = append(b.doc.Notes, n)
	return Ref{n.ID}
}

// location adds the incident's location: its point, and its address as the civic address's
// free text.
func (b *builder) location() Ref {
	inc := b.inc
	l := Location{
		Prologue:    b.prologue(b.id("location", "incident"), inc.UpdatedAt),
		Type:        "Incident",
		PIDFLO:      PIDFLO(b.cfg, TrackingID(b.cfg.AgencyID, inc.ID), inc.Point, inc.Address, inc.UpdatedAt),
		Description: inc.Address,
	}
	if inc.Cell != "" {
		// The resolution-9 H3 cell, as the centre's own systems find the place.
		l.LocalIDs = []string{"h3:" + inc.Cell}
	}
	b.doc.Locations = append(b.doc.Locations, l)
	return Ref{l.ID}
}

// alarms adds every alarm that opened or joined the incident: a 119 call or a public report as
// a call (with its callback number), a panel, lamp-post button or CAP warning as an alarm;
// each with a note of what it reported.
func (b *builder) alarms(alarms []fireline.Alarm, loc Ref) {
	for _, a := range alarms {
		key := strconv.FormatInt(a.ID, 10)
		text := alarmText(a, b.callers)
		switch a.Source {
		case fireline.SourceCall, fireline.SourcePublic:
			received := a.ReceivedAt.UTC()
			c := Call{
				Prologue:        b.prologue(fmt.Sprintf("urn:emergency:uid:callid:%d:%s", a.ID, b.cfg.AgencyID), a.ReceivedAt),
				PrimaryCallType: "emergency",
				LocalCallType:   localCallType(a),
				Direction:       "incoming",
				Start:           a.ReportedAt.UTC(),
				Answered:        &received,
				// The centre keeps no call state: an alarm is stored once its call is taken.
				State:     "callEnd",
				Locations: []Ref{loc},
			}
			if uri := telURI(a.Details.CallerNumber); uri != "" && b.callers {
				cb := Callback{Prologue: b.prologue(b.id("callback", key), a.ReceivedAt), URIs: []string{uri}}
				b.doc.Callbacks = append(b.doc.Callbacks, cb)
				c.Callback = &Ref{cb.ID}
			}
			c.Notes = []Ref{b.note("alarm-"+key, a.ReceivedAt, a.ConfirmedBy, text)}
			b.doc.Calls = append(b.doc.Calls, c)
		default:
			s := AlarmSensor{Prologue: b.prologue(b.id("alarm", key), a.ReceivedAt)}
			s.Notes = []Ref{b.note("alarm-"+key, a.ReceivedAt, "", text)}
			b.doc.Alarms = append(b.doc.Alarms, s)
		}
	}
}

// units adds each unit sent to the incident as a resource, in its latest assignment's status,
// with a note of its step times (the resource type has no field for them), and each dispatch of
// it by the centre. A unit cleared and sent again is one resource with two dispatches.
func (b *builder) units(loc Ref) {
	var order []string
	byUnit := map[string][]fireline.Assignment{}
	for _, a := range b.inc.Assignments {
		if _, ok := byUnit[a.UnitID]; !ok {
			order = append(order, a.UnitID)
		}
		byUnit[a.UnitID] = append(byUnit[a.UnitID], a)
	}
	for _, unit := range order {
		sent := byUnit[unit]
		now := sent[len(sent)-1]
		var last time.Time
		var rounds []string
		for _, a := range sent {
			steps := []string{"dispatched " + stamp(a.DispatchedAt)}
			last = latest(last, a.DispatchedAt)
			for _, s := range []struct {
				name string
				at   *time.Time
			}{{"acknowledged", a.AckAt}, {"en route", a.EnRouteAt}, {"on scene", a.OnSceneAt}, {"cleared", a.ClearedAt}} {
				if s.at != nil {
					steps = append(steps, s.name+" "+stamp(*s.at))
					last = latest(last, *s.at)
				}
			}
			rounds = append(rounds, strings.Join(steps, ", "))
		}
		r := Resource{
			Prologue:        b.prologue(b.id("unit", unit), last),
			TypeCommon:      CommonResourceType(now.Type),
			TypeInternal:    string(now.Type),
			Attributes:      []string{},
			Name:            unit,
			PrimaryStatus:   CommonUnitStatus(now.Status),
			SecondaryStatus: []string{},
			StatusInternal:  []string{string(now.Status)},
			// The crews are the roster's; the export names the unit, not its people.
			Agents: []Ref{},
			Notes:  []Ref{b.note("unit-"+unit, last, "", unit+" ("+string(now.Type)+"): "+strings.Join(rounds, "; then "))},
		}
		if now.ClearedAt == nil {
			r.Destination = &loc
		}
		b.doc.Resources = append(b.doc.Resources, r)
		for i, a := range sent {
			key := unit
			if i > 0 {
				key += "-" + strconv.Itoa(i+1)
			}
			d := Dispatch{
				Prologue:  b.prologue(b.id("dispatch", key), a.DispatchedAt),
				Agency:    &Ref{b.cfg.AgencyID},
				Agent:     b.agent(b.dispatcher(unit, i), a.DispatchedAt),
				Resources: []Ref{{r.ID}},
			}
			d.UpdatedByAgent = d.Agent
			b.doc.Dispatches = append(b.doc.Dispatches, d)
		}
	}
}

// dispatcher is who sent the unit the nth time (from 0): the actor of the nth dispatch (or
// reinforcement) that named it, "" when the timeline does not say.
func (b *builder) dispatcher(unitID string, nth int) string {
	for _, ev := range b.events {
		if ev.Kind != fireline.EventDispatched && ev.Kind != fireline.EventReinforced {
			continue
		}
		if ev.UnitID == unitID || slices.Contains(dataStrings(ev.Data["units"]), unitID) {
			if nth == 0 {
				return ev.Actor
			}
			nth--
		}
	}
	return ""
}

// agencyTasks adds each joint agency asked for a task as an agency of the incident, the request
// as a dispatch of that agency, and the task as a note.
func (b *builder) agencyTasks() {
	for _, t := range b.inc.AgencyTasks {
		id := b.jointAgencyID(t.Agency)
		text := fmt.Sprintf("%s: %s — %s; requested %s, due %s", t.Agency, t.Task, t.Status, stamp(t.RequestedAt), stamp(t.DueAt))
		if t.Note != "" {
			text += "; " + t.Note
		}
		n := b.note("task-"+string(t.Agency), t.UpdatedAt, t.Actor, text)
		b.doc.Agencies = append(b.doc.Agencies, Agency{
			Prologue: b.prologue(id, t.UpdatedAt),
			Roles:    []string{"Responding"},
			Types:    []string{CommonAgencyType(t.Agency)},
			Notes:    []Ref{n},
		})
		b.doc.Dispatches = append(b.doc.Dispatches, Dispatch{
			Prologue: b.prologue(b.id("request", string(t.Agency)), t.RequestedAt),
			Agency:   &Ref{id},
			Notes:    []Ref{n},
		})
	}
}

// jointAgencyID is a joint agency's identifier: its name under the centre's parent domain.
func (b *builder) jointAgencyID(a fireline.Agency) string {
	_, parent, _ := strings.Cut(b.cfg.AgencyID, ".")
	return strings.ReplaceAll(string(a), "_", "-") + "." + parent
}

// noteKinds are the timeline entries a neighbouring centre needs to read: what the operators
// decided and what happened on the scene. Dispatches and unit steps travel as resources, alarms
// as calls and alarms, agency tasks as agencies; recommendations and the supervisors' queue
// stay inside.
var noteKinds = []string{
	fireline.EventAssessed, fireline.EventStatusChanged, fireline.EventReinforced, fireline.EventPAR,
	fireline.EventClosed, fireline.EventCancelled, fireline.EventIncidentMerged, fireline.EventAlarmSplit,
	fireline.EventPanelEvent, fireline.EventAlarmConfirmed,
}

func (b *builder) timelineNotes() {
	b.doc.Incident.Notes = append(b.doc.Incident.Notes, b.note("times", b.inc.UpdatedAt, "", b.times()))
	for _, ev := range b.events {
		if !slices.Contains(noteKinds, ev.Kind) {
			continue
		}
		text := strings.ReplaceAll(ev.Kind, "_", " ")
		if ev.Detail != "" {
			text += ": " + ev.Detail
		}
		ref := b.note("event-"+strconv.FormatInt(ev.ID, 10), ev.At, ev.Actor, text)
		b.doc.Incident.Notes = append(b.doc.Incident.Notes, ref)
	}
}

// times is the incident's own times, which the incident component has no field for: when its
// first alarm was received, when it was assessed and by whom, when it ended and how.
func (b *builder) times() string {
	inc := b.inc
	parts := []string{"opened " + stamp(inc.CreatedAt) + " (first alarm received)"}
	if inc.AssessedAt != nil {
		parts = append(parts, "assessed "+stamp(*inc.AssessedAt)+" by "+cmp.Or(inc.AssessedBy, "an operator"))
	}
	if inc.ClosedAt != nil {
		parts = append(parts, "ended "+stamp(*inc.ClosedAt)+" ("+string(cmp.Or(inc.Outcome, inc.Status))+")")
	}
	return "times: " + strings.Join(parts, "; ")
}

// merges adds the incidents merged into this one (REPLACING), the one it was merged into
// (REPLACED), and the incidents alarms were split out into or from (SPLIT), from the timeline
// and the projection's merged_into.
func (b *builder) merges() {
	seen := map[string]bool{}
	add := func(other int64, dir string, at time.Time) {
		if other == 0 || other == b.inc.ID {
			return
		}
		key := dir + ":" + strconv.FormatInt(other, 10)
		if seen[key] {
			return
		}
		seen[key] = true
		b.doc.Merges = append(b.doc.Merges, Merge{
			Prologue:   b.prologue(b.id("merge", strings.ToLower(dir)+"-"+strconv.FormatInt(other, 10)), at),
			TrackingID: TrackingID(b.cfg.AgencyID, other),
			Direction:  dir,
		})
	}
	for _, ev := range b.events {
		switch ev.Kind {
		case fireline.EventIncidentMerged:
			from, into := dataInt(ev.Data["from"]), dataInt(ev.Data["into"])
			if into == b.inc.ID {
				add(from, MergeReplacing, ev.At)
			} else if from == b.inc.ID {
				add(into, MergeReplaced, ev.At)
			}
		case fireline.EventAlarmSplit:
			// Both sides of a split name the other: the incident split off, and the one it
			// was split from.
			from, split := dataInt(ev.Data["from"]), dataInt(ev.Data["incident"])
			if from == b.inc.ID {
				add(split, MergeSplit, ev.At)
			} else if split == b.inc.ID {
				add(from, MergeSplit, ev.At)
			}
		}
	}
	if b.inc.MergedInto != 0 {
		at := b.inc.UpdatedAt
		if b.inc.ClosedAt != nil {
			at = *b.inc.ClosedAt
		}
		add(b.inc.MergedInto, MergeReplaced, at)
	}
}

// priorityText is the priority and alarm level as the centre says them.
func priorityText(inc fireline.Incident) string {
	s := fmt.Sprintf("level %d alarm", inc.Level)
	if inc.Priority.Valid() {
		s = fmt.Sprintf("priority %d (1 life at risk now … 4 routine), %s", inc.Priority, s)
	}
	return s
}

// alarmText is what an alarm reported, for its note; the caller's words only with callers.
func alarmText(a fireline.Alarm, callers bool) string {
	parts := []string{fmt.Sprintf("%s alarm %s (%s), reported %s, received %s", a.Source, a.SourceID, a.Type, stamp(a.ReportedAt), stamp(a.ReceivedAt))}
	if a.Kind != "" {
		parts = append(parts, "panel event "+string(a.Kind))
	}
	if a.DeviceID != "" {
		parts = append(parts, "device "+a.DeviceID)
	}
	d := a.Details
	if d.PremiseName != "" || a.PremiseID != "" {
		parts = append(parts, "premises "+cmp.Or(d.PremiseName, a.PremiseID))
	}
	for _, f := range []struct{ name, v string }{{"building", d.Building}, {"floor", d.Floor}, {"zone", d.Zone}} {
		if f.v != "" {
			parts = append(parts, f.name+" "+f.v)
		}
	}
	if a.Address != "" {
		parts = append(parts, "at "+a.Address)
	}
	if d.PeopleTrapped != nil {
		parts = append(parts, fmt.Sprintf("%d people trapped", *d.PeopleTrapped))
	}
	if len(d.Hazards) > 0 {
		parts = append(parts, "hazards: "+strings.Join(d.Hazards, ", "))
	}
	if a.Unverified {
		parts = append(parts, "unverified public report")
	}
	if a.Description != "" && callers {
		parts = append(parts, a.Description)
	}
	return strings.Join(parts, "; ")
}

// localCallType says how the report came in: a call on an emergency line (119, or 110 or 120
// handed over; the alarm does not keep which), or a public report by app or SMS.
func localCallType(a fireline.Alarm) string {
	if a.Source == fireline.SourceCall {
		return "emergency line call"
	}
	return strings.TrimSpace("public report " + a.Details.Channel)
}

// telURI is a caller's number as a tel: URI (RFC 3966), "" when there is none (or it was
// purged): only the digits and a leading '+' are kept.
func telURI(p fireline.Phone) string {
	var sb strings.Builder
	for i, r := range string(p) {
		switch {
		case r >= '0' && r <= '9':
			sb.WriteRune(r)
		case r == '+' && i == 0:
			sb.WriteRune(r)
		}
	}
	if n := strings.TrimPrefix(sb.String(), "+"); n == "" {
		return ""
	}
	return "tel:" + sb.String()
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// dataInt reads a number from a timeline event's data, as JSON decoded it (float64) or as a
// workflow wrote it; 0 when it is not one.
func dataInt(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// dataStrings reads a list of strings from a timeline event's data.
func dataStrings(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, s := range l {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
