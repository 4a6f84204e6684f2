package postgres_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

func TestIncidentLifecycleStatuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	id := openIncident(t, db, cellA)

	must(t, db.AssessIncident(ctx, id, fireline.TypeHighRiseFire, 3, 1, "operator", t0))
	for _, s := range []fireline.IncidentStatus{fireline.IncidentAssessing, fireline.IncidentDispatching, fireline.IncidentActive, fireline.IncidentControlled} {
		must(t, db.SetIncidentStatus(ctx, id, s))
		inc, err := db.Incident(ctx, id)
		must(t, err)
		if inc.Status != s || inc.ClosedAt != nil || inc.Outcome != "" {
			t.Fatalf("%s: %+v", s, inc)
		}
	}
	open, err := db.Incidents(ctx, fireline.IncidentFilter{OpenOnly: true})
	must(t, err)
	if !slices.Contains(incidentIDs(open), id) {
		t.Errorf("a controlled incident is still open: %v", incidentIDs(open))
	}
	must(t, db.SetIncidentStatus(ctx, id, fireline.IncidentCancelled))
	must(t, db.SaveReview(ctx, id, fireline.Review{ReviewedAt: t0}))
	inc, err := db.Incident(ctx, id)
	must(t, err)
	if inc.Status != fireline.IncidentReviewed || inc.Outcome != fireline.IncidentCancelled || inc.ClosedAt == nil ||
		inc.Type != fireline.TypeHighRiseFire || inc.Level != 3 || inc.Priority != 1 {
		t.Errorf("cancelled and reviewed: %+v, want the outcome kept and the assessment stored", inc)
	}

	wantCode(t, db.SetIncidentStatus(ctx, id, fireline.IncidentMerged), fireline.EINVALID)
	wantCode(t, db.AssessIncident(ctx, id, fireline.TypeHazmat, 6, 1, "operator", t0), fireline.EINVALID)
	wantCode(t, db.AssessIncident(ctx, id, fireline.TypeHazmat, 1, 9, "operator", t0), fireline.EINVALID)
	wantCode(t, db.AssessIncident(ctx, 999999, fireline.TypeHazmat, 1, 1, "operator", t0), fireline.ENOTFOUND)
}

func TestEscalations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	id := openIncident(t, db, cellA)
	e := fireline.Escalation{IncidentID: id, Key: "escalation:call_processing", Timer: fireline.TimerCallProcessing,
		Detail: "no unit dispatched within 1m0s of the alarm", RaisedAt: t0}
	ev := fireline.TimelineEvent{IncidentID: id, Key: e.Key, At: t0, Kind: fireline.EventEscalation, Actor: "supervision", Detail: e.Detail}
	first, err := db.RaiseEscalation(ctx, e, ev)
	must(t, err)
	again, err := db.RaiseEscalation(ctx, e, ev)
	must(t, err)
	if first.ID == 0 || again.ID != first.ID || !first.RaisedAt.Equal(t0) {
		t.Fatalf("raised %+v then %+v, want one escalation", first, again)
	}
	other := openIncident(t, db, cellB)
	_, err = db.RaiseEscalation(ctx, fireline.Escalation{IncidentID: other, Key: "k", Timer: fireline.TimerTurnout, UnitID: "E1",
		Detail: "E1 not en route", RaisedAt: t0.Add(time.Minute)}, fireline.TimelineEvent{IncidentID: other, Key: "k", Kind: fireline.EventEscalation})
	must(t, err)

	open, err := db.Escalations(ctx, fireline.EscalationFilter{OpenOnly: true})
	must(t, err)
	if len(open) != 2 || open[0].IncidentID != other {
		t.Fatalf("open escalations %+v, want two, newest first", open)
	}
	taken, err := db.AckEscalation(ctx, first.ID, "supervisor", t0.Add(2*time.Minute))
	must(t, err)
	if taken.AckedBy != "supervisor" || taken.AckedAt == nil {
		t.Errorf("taken %+v", taken)
	}
	_, err = db.AckEscalation(ctx, first.ID, "another", t0.Add(3*time.Minute))
	wantCode(t, err, fireline.ECONFLICT)
	_, err = db.AckEscalation(ctx, 999999, "supervisor", t0)
	wantCode(t, err, fireline.ENOTFOUND)
	open, err = db.Escalations(ctx, fireline.EscalationFilter{OpenOnly: true})
	must(t, err)
	mine, err := db.Escalations(ctx, fireline.EscalationFilter{IncidentID: id})
	must(t, err)
	if len(open) != 1 || open[0].IncidentID != other || len(mine) != 1 || mine[0].AckedBy != "supervisor" {
		t.Errorf("after taking one: open %+v, incident's %+v", open, mine)
	}
	tl, err := db.Timeline(ctx, id)
	must(t, err)
	var keys []string
	for _, e := range tl {
		keys = append(keys, e.Key)
	}
	if !slices.Contains(keys, "escalation:call_processing") || !slices.Contains(keys, "escalation-taken:"+itoa(first.ID)) {
		t.Errorf("timeline keys %v: want the escalation and its taking", keys)
	}
	_, err = db.Escalations(ctx, fireline.EscalationFilter{Limit: 5000})
	wantCode(t, err, fireline.EINVALID)
}

func TestAgencyTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	id := openIncident(t, db, cellA)
	task := func(a fireline.Agency, what string) fireline.AgencyTask {
		return fireline.AgencyTask{IncidentID: id, Agency: a, Task: what, RequestedAt: t0, DueAt: t0.Add(10 * time.Minute)}
	}
	ev := func(key string) fireline.TimelineEvent {
		return fireline.TimelineEvent{IncidentID: id, Key: key, At: t0, Kind: fireline.EventAgencyTask, Detail: key}
	}
	must(t, db.RequestAgencyTasks(ctx, []fireline.AgencyTask{task(fireline.AgencyPolice, "traffic control"), task(fireline.AgencyEMS, "ambulance")},
		[]fireline.TimelineEvent{ev("agency:police"), ev("agency:ems")}))
	// Asked again, e.g. on an upgrade: nothing changes.
	must(t, db.RequestAgencyTasks(ctx, []fireline.AgencyTask{task(fireline.AgencyPolice, "something else")}, nil))
	tasks, err := db.AgencyTasks(ctx, id)
	must(t, err)
	if len(tasks) != 2 || tasks[0].Agency != fireline.AgencyEMS || tasks[1].Task != "traffic control" || tasks[1].Status != fireline.TaskRequested {
		t.Fatalf("tasks %+v", tasks)
	}
	got, err := db.UpdateAgencyTask(ctx, id, fireline.AgencyPolice, fireline.TaskAcknowledged, "", "operator", t0.Add(time.Minute), ev("agency:police:acknowledged"))
	must(t, err)
	if got.Status != fireline.TaskAcknowledged || got.Actor != "operator" {
		t.Errorf("acknowledged: %+v", got)
	}
	got, err = db.UpdateAgencyTask(ctx, id, fireline.AgencyPolice, fireline.TaskDone, "two officers on site", "operator", t0.Add(5*time.Minute), ev("agency:police:done"))
	must(t, err)
	if got.Status != fireline.TaskDone || got.Note != "two officers on site" {
		t.Errorf("done: %+v", got)
	}
	_, err = db.UpdateAgencyTask(ctx, id, fireline.AgencyPolice, fireline.TaskAcknowledged, "", "operator", t0, ev("x"))
	wantCode(t, err, fireline.ECONFLICT)
	_, err = db.UpdateAgencyTask(ctx, id, fireline.AgencyPower, fireline.TaskDone, "", "operator", t0, ev("y"))
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.UpdateAgencyTask(ctx, id, fireline.AgencyEMS, fireline.TaskRequested, "", "operator", t0, ev("z"))
	wantCode(t, err, fireline.EINVALID)
	must(t, db.MarkAgencyTaskEscalated(ctx, id, fireline.AgencyEMS, t0.Add(11*time.Minute)))
	must(t, db.MarkAgencyTaskEscalated(ctx, id, fireline.AgencyEMS, t0.Add(20*time.Minute)))
	tasks, err = db.AgencyTasks(ctx, id)
	must(t, err)
	if tasks[0].EscalatedAt == nil || !tasks[0].EscalatedAt.Equal(t0.Add(11*time.Minute)) {
		t.Errorf("escalated %+v, want the first time kept", tasks[0])
	}
	wantCode(t, db.RequestAgencyTasks(ctx, []fireline.AgencyTask{{IncidentID: id, Agency: "army", Task: "x", RequestedAt: t0, DueAt: t0}}, nil), fireline.EINVALID)

	// The incident closes: the EMS task still open is called off, the done one stays done.
	must(t, db.CancelOpenAgencyTasks(ctx, id, "incident closed", t0.Add(time.Hour)))
	tasks, err = db.AgencyTasks(ctx, id)
	must(t, err)
	if tasks[0].Status != fireline.TaskCancelled || tasks[0].Note != "incident closed" || tasks[1].Status != fireline.TaskDone {
		t.Errorf("after closing: %+v", tasks)
	}
}

func TestMergeIncidents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	into := openIncident(t, db, cellA)
	from := openIncident(t, db, cellB)
	second, err := db.ReceiveAlarm(ctx, alarm(cellB), fireline.DedupeRule{Cells: []string{cellB}, Window: time.Hour})
	must(t, err)
	if second.IncidentID != from {
		t.Fatalf("second alarm went to %d, want %d", second.IncidentID, from)
	}
	_, err = db.ReserveUnits(ctx, from, []string{"E2", "L1"}, t0)
	must(t, err)
	_, err = db.SetUnitStatus(ctx, "L1", from, fireline.UnitAvailable, t0.Add(time.Minute)) // cleared before the merge
	must(t, err)
	must(t, db.RequestAgencyTasks(ctx, []fireline.AgencyTask{{IncidentID: from, Agency: fireline.AgencyPolice, Task: "cordon", RequestedAt: t0, DueAt: t0.Add(time.Hour)}}, nil))

	alarms, units, err := db.MergeIncidents(ctx, from, into, t0.Add(2*time.Minute), "operator")
	must(t, err)
	if len(alarms) != 2 || !slices.Equal(units, []string{"E2"}) {
		t.Fatalf("merged %v and %v, want both alarms and the one open unit", alarms, units)
	}
	a, err := db.Incident(ctx, into)
	must(t, err)
	b, err := db.Incident(ctx, from)
	must(t, err)
	if a.AlarmCount != 3 || a.Status != fireline.IncidentReceived || b.Status != fireline.IncidentMerged ||
		b.Outcome != fireline.IncidentMerged || b.MergedInto != into || b.ClosedAt == nil {
		t.Fatalf("after merge: into %+v, from %+v", a, b)
	}
	if got := assignedIDs(a); !slices.Equal(got, []string{"E2"}) {
		t.Errorf("into's open assignments %v, want E2", got)
	}
	u, err := db.Unit(ctx, "E2")
	must(t, err)
	if u.IncidentID != into {
		t.Errorf("E2 on incident %d, want %d", u.IncidentID, into)
	}
	for _, id := range alarms {
		al, err := db.Alarm(ctx, id)
		must(t, err)
		if al.IncidentID != into {
			t.Errorf("alarm %d on incident %d, want %d", id, al.IncidentID, into)
		}
	}
	tasks, err := db.AgencyTasks(ctx, from)
	must(t, err)
	if tasks[0].Status != fireline.TaskCancelled {
		t.Errorf("merged incident's task %+v, want cancelled", tasks[0])
	}
	againAlarms, againUnits, err := db.MergeIncidents(ctx, from, into, t0.Add(3*time.Minute), "operator")
	must(t, err)
	if !slices.Equal(againAlarms, alarms) || !slices.Equal(againUnits, units) {
		t.Errorf("repeat %v %v, want the first merge's %v %v", againAlarms, againUnits, alarms, units)
	}
	_, _, err = db.MergeIncidents(ctx, into, into, t0, "operator")
	wantCode(t, err, fireline.EINVALID)
	third := openIncident(t, db, cellA2)
	_, _, err = db.MergeIncidents(ctx, third, from, t0, "operator") // from is merged: not open
	wantCode(t, err, fireline.ECONFLICT)
	_, _, err = db.MergeIncidents(ctx, third, 999999, t0, "operator")
	wantCode(t, err, fireline.ENOTFOUND)
}

func TestSplitAlarm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	from := openIncident(t, db, cellA)
	_, err := db.SplitAlarm(ctx, from, firstAlarm(t, db, from), t0, "operator")
	wantCode(t, err, fireline.ECONFLICT) // its only alarm
	rc, err := db.ReceiveAlarm(ctx, alarm(cellA), fireline.DedupeRule{Cells: []string{cellA}, Window: time.Hour})
	must(t, err)
	if rc.IncidentID != from {
		t.Fatalf("second alarm joined %d, want %d", rc.IncidentID, from)
	}
	id, err := db.SplitAlarm(ctx, from, rc.Alarm.ID, t0, "operator")
	must(t, err)
	again, err := db.SplitAlarm(ctx, from, rc.Alarm.ID, t0, "operator")
	must(t, err)
	if id == 0 || id == from || again != id {
		t.Fatalf("split into %d then %d", id, again)
	}
	inc, err := db.Incident(ctx, id)
	must(t, err)
	old, err := db.Incident(ctx, from)
	must(t, err)
	if inc.Status != fireline.IncidentReceived || inc.AlarmCount != 1 || inc.Type != rc.Alarm.Type || old.AlarmCount != 1 {
		t.Errorf("new incident %+v, old %+v", inc, old)
	}
	al, err := db.Alarm(ctx, rc.Alarm.ID)
	must(t, err)
	if al.IncidentID != id {
		t.Errorf("alarm on %d, want %d", al.IncidentID, id)
	}
	left, err := db.IncidentAlarms(ctx, from)
	must(t, err)
	moved, err := db.IncidentAlarms(ctx, id)
	must(t, err)
	if len(left) != 1 || len(moved) != 1 || moved[0].ID != rc.Alarm.ID || left[0].ID == rc.Alarm.ID {
		t.Errorf("alarms left %+v, moved %+v", left, moved)
	}
	tl, err := db.Timeline(ctx, id)
	must(t, err)
	if len(tl) != 1 || tl[0].Kind != fireline.EventAlarmSplit {
		t.Errorf("new incident's timeline %+v", tl)
	}
	other := openIncident(t, db, cellB)
	_, err = db.SplitAlarm(ctx, other, rc.Alarm.ID, t0, "operator")
	wantCode(t, err, fireline.EINVALID)
	_, err = db.SplitAlarm(ctx, from, 999999, t0, "operator")
	wantCode(t, err, fireline.ENOTFOUND)
}

func firstAlarm(t *testing.T, db *postgres.DB, incident int64) int64 {
	t.Helper()
	tl, err := db.Timeline(context.Background(), incident)
	must(t, err)
	return int64(tl[0].Data["alarm_id"].(float64))
}

func assignedIDs(inc fireline.Incident) []string {
	var out []string
	for _, a := range inc.Assignments {
		if a.ClearedAt == nil {
			out = append(out, a.UnitID)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
