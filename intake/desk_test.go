package intake_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/intake"
)

const goodAlarm = `{"source":"call","source_id":"119-7","type":"structure_fire","lat":36.456,"lng":115.985,
	"address":"Guangyue Tower","reported_at":"2026-11-22T08:59:00Z"}`

func TestAlarm(t *testing.T) {
	with := func(old, new string) string { return strings.Replace(goodAlarm, old, new, 1) }
	run(t, newIntake().Alarm, append([]adapterCase{
		{"a call in the common fields", goodAlarm, "", ""},
		{"no lat", with(`"lat":36.456,`, ``), fireline.EINVALID, "lat: required"},
		{"no lng", with(`"lng":115.985,`, ``), fireline.EINVALID, "lng: required"},
		{"no time", with(`,"reported_at":"2026-11-22T08:59:00Z"`, ``), fireline.EINVALID, "reported_at: required"},
		{"unknown source", with(`"call"`, `"pager"`), fireline.EINVALID, "source"},
		{"absurd position", with(`36.456`, `95`), fireline.EINVALID, "lat"},
	}, hostile()...), func(t *testing.T, _ string, a fireline.Alarm) {
		if a.Source != fireline.SourceCall || a.SourceID != "119-7" || a.Address != "Guangyue Tower" || a.Cell != "" {
			t.Errorf("alarm %+v", a)
		}
	})
}

// deskStore keeps what the desk stores, in memory.
type deskStore struct {
	fireline.AlarmStore
	fireline.WarningStore
	rules    []fireline.DedupeRule
	stored   []fireline.Alarm
	warnings []fireline.Warning
	related  int64 // the incident a reset is related to
	// retired are incident types retired: an alarm of one is refused, as the store refuses it.
	retired map[fireline.IncidentType]bool
}

func (s *deskStore) ReceiveAlarm(_ context.Context, a fireline.Alarm, rule fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	if s.retired[a.Type] {
		return fireline.AlarmReceipt{}, fireline.Errorf(fireline.EINVALID, "type: incident type %s was retired", a.Type)
	}
	s.rules = append(s.rules, rule)
	a.ID = int64(len(s.stored) + 1)
	rc := fireline.AlarmReceipt{Alarm: a, RecordedOnly: !a.Kind.OpensIncident()}
	if !rc.RecordedOnly {
		rc.IncidentID, rc.Alarm.IncidentID = 100+a.ID, 100+a.ID
	} else if a.Kind == fireline.KindReset {
		rc.RelatedIncidentID = s.related
	}
	s.stored = append(s.stored, rc.Alarm)
	return rc, nil
}

func (s *deskStore) ReceiveWarning(_ context.Context, w fireline.Warning, raw []byte) (fireline.WarningReceipt, error) {
	if len(raw) == 0 {
		return fireline.WarningReceipt{}, fireline.Errorf(fireline.EINTERNAL, "no XML")
	}
	w.ID = int64(len(s.warnings) + 1)
	s.warnings = append(s.warnings, w)
	return fireline.WarningReceipt{Warning: w}, nil
}

// deskIncidents records what the desk hands to the incidents.
type deskIncidents struct {
	fireline.IncidentService
	received, recorded []int64
	finished           bool
}

func (f *deskIncidents) AlarmReceived(_ context.Context, id int64, _, _ fireline.Alarm) error {
	f.received = append(f.received, id)
	return nil
}

func (f *deskIncidents) AlarmRecorded(_ context.Context, id int64, _ fireline.Alarm) error {
	if f.finished {
		return fireline.Errorf(fireline.ECONFLICT, "incident %d has finished", id)
	}
	f.recorded = append(f.recorded, id)
	return nil
}

func newDesk() (*intake.Desk, *deskStore, *deskIncidents) {
	st, inc := &deskStore{}, &deskIncidents{}
	return intake.NewDesk(newIntake(), st, st, inc, intake.DefaultDeskConfig(), slog.New(slog.DiscardHandler)), st, inc
}

// TestDeskReceivesAlarms: every format's alarm is placed on the grid with its dedupe ring,
// stored, and handed to its incident; a refused payload stores and hands on nothing.
func TestDeskReceivesAlarms(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		format fireline.AlarmFormat
		body   string
	}{
		{fireline.FormatAlarm, goodAlarm},
		{fireline.FormatCall, goodCall},
		{fireline.FormatIoT, goodPanelEvent},
		{fireline.FormatLampPost, goodPress},
		{fireline.FormatPublic, goodReport},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			d, st, inc := newDesk()
			rc, err := d.ReceiveAlarm(ctx, tt.format, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			a := st.stored[0]
			if rc.Alarm.ID != 1 || rc.IncidentID != 101 || a.Cell == "" || len(st.rules) != 1 || len(st.rules[0].Cells) != 7 ||
				!slices.Contains(st.rules[0].Cells, a.Cell) || st.rules[0].Window != intake.DefaultDeskConfig().DedupeWindow {
				t.Fatalf("receipt %+v, stored %+v under %+v", rc, a, st.rules)
			}
			if !slices.Equal(inc.received, []int64{101}) {
				t.Fatalf("incidents told of %v", inc.received)
			}
		})
	}
	d, st, inc := newDesk()
	if _, err := d.ReceiveAlarm(ctx, fireline.FormatIoT, []byte(goodCall)); fireline.ErrorCode(err) != fireline.EINVALID {
		t.Errorf("a call as a panel event: %v", err)
	}
	if _, err := d.ReceiveAlarm(ctx, "pager", []byte(goodCall)); fireline.ErrorCode(err) != fireline.EINTERNAL {
		t.Errorf("a format nobody reads: %v", err)
	}
	if len(st.stored)+len(inc.received) != 0 {
		t.Errorf("refused payloads stored %v, told %v", st.stored, inc.received)
	}
}

// TestDeskPanelEvents: a fault is only stored; a reset is handed to the incident its device's
// alarm opened, and is stored all the same when that incident has finished.
func TestDeskPanelEvents(t *testing.T) {
	ctx := context.Background()
	d, st, inc := newDesk()
	fault := strings.Replace(goodPanelEvent, `"fire_alarm"`, `"fault"`, 1)
	if rc, err := d.ReceiveAlarm(ctx, fireline.FormatIoT, []byte(fault)); err != nil || !rc.RecordedOnly || rc.IncidentID != 0 ||
		len(inc.received)+len(inc.recorded) != 0 {
		t.Fatalf("fault: %+v %v, incidents %+v", rc, err, inc)
	}
	st.related = 42
	reset := strings.Replace(strings.Replace(goodPanelEvent, `"fire_alarm"`, `"reset"`, 1), "EV-000123", "EV-000124", 1)
	if rc, err := d.ReceiveAlarm(ctx, fireline.FormatIoT, []byte(reset)); err != nil || rc.RelatedIncidentID != 42 ||
		!slices.Equal(inc.recorded, []int64{42}) {
		t.Fatalf("reset: %+v %v, recorded %v", rc, err, inc.recorded)
	}
	inc.finished = true
	if rc, err := d.ReceiveAlarm(ctx, fireline.FormatIoT, []byte(strings.Replace(reset, "EV-000124", "EV-000125", 1))); err != nil ||
		rc.RelatedIncidentID != 42 || len(st.stored) != 3 {
		t.Fatalf("reset for a finished incident: %+v %v", rc, err)
	}
}

// TestDeskReceivesWarnings: a CAP alert is read and stored with its XML; a bad one is not.
func TestDeskReceivesWarnings(t *testing.T) {
	ctx := context.Background()
	d, st, _ := newDesk()
	rc, err := d.ReceiveWarning(ctx, []byte(minimalAlert))
	if err != nil || rc.Warning.ID != 1 || !rc.Warning.InServiceArea || len(rc.Warning.Cells) == 0 {
		t.Fatalf("warning: %+v %v", rc, err)
	}
	if _, err := d.ReceiveWarning(ctx, []byte("<alert/>")); fireline.ErrorCode(err) != fireline.EINVALID || len(st.warnings) != 1 {
		t.Errorf("a bad alert: %v, %d stored", err, len(st.warnings))
	}
}

// TestDeskHonoursAPIKeyGrants: a request signed with an API key posts only its key's source,
// and only source ids (or, for CAP, senders) within its prefix; a refused one stores nothing.
func TestDeskHonoursAPIKeyGrants(t *testing.T) {
	signed := func(src fireline.AlarmSource, prefix string) context.Context {
		return fireline.NewContextWithAlarmGrant(context.Background(), fireline.AlarmGrant{Key: "k", Source: src, SourceIDPrefix: prefix})
	}
	for _, tt := range []struct {
		name    string
		ctx     context.Context
		format  fireline.AlarmFormat
		body    string
		wantErr string // "" when it is stored
	}{
		{"own source", signed(fireline.SourceIoT, ""), fireline.FormatIoT, goodPanelEvent, ""},
		{"own source within the prefix", signed(fireline.SourceIoT, "FAP-CHEM-"), fireline.FormatIoT, goodPanelEvent, ""},
		{"outside the prefix", signed(fireline.SourceIoT, "FAP-MALL-"), fireline.FormatIoT, goodPanelEvent,
			`API key k posts alarms whose source id begins with "FAP-MALL-" only, not "FAP-CHEM-1:EV-000123"`},
		{"another source's format", signed(fireline.SourceLampPost, ""), fireline.FormatIoT, goodPanelEvent,
			"API key k posts lamppost alarms only, not the iot format"},
		{"the generic form", signed(fireline.SourceCall, ""), fireline.FormatAlarm, goodAlarm,
			"API key k posts call alarms only, not the alarm format"},
		{"a lamp-post key's own press", signed(fireline.SourceLampPost, "LP-DCF-"), fireline.FormatLampPost, goodPress, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, st, inc := newDesk()
			_, err := d.ReceiveAlarm(tt.ctx, tt.format, []byte(tt.body))
			if tt.wantErr == "" {
				if err != nil || len(st.stored) != 1 {
					t.Fatalf("%v, %d stored", err, len(st.stored))
				}
				return
			}
			if fireline.ErrorCode(err) != fireline.EFORBIDDEN || fireline.ErrorMessage(err) != tt.wantErr {
				t.Errorf("error %v, want forbidden %q", err, tt.wantErr)
			}
			if len(st.stored)+len(inc.received) != 0 {
				t.Errorf("a refused alarm was stored %v or handed on %v", st.stored, inc.received)
			}
		})
	}
	t.Run("warnings", func(t *testing.T) {
		d, st, _ := newDesk()
		if _, err := d.ReceiveWarning(signed(fireline.SourceIoT, ""), []byte(minimalAlert)); fireline.ErrorCode(err) != fireline.EFORBIDDEN {
			t.Errorf("a panel key posting a CAP warning: %v", err)
		}
		if _, err := d.ReceiveWarning(signed(fireline.SourceCAP, "cma@"), []byte(minimalAlert)); fireline.ErrorCode(err) != fireline.EFORBIDDEN ||
			!strings.Contains(fireline.ErrorMessage(err), `not "test@example.cn"`) {
			t.Errorf("a CAP key of another sender: %v", err)
		}
		if len(st.warnings) != 0 {
			t.Fatalf("refused warnings stored: %v", st.warnings)
		}
		if _, err := d.ReceiveWarning(signed(fireline.SourceCAP, "test@"), []byte(minimalAlert)); err != nil || len(st.warnings) != 1 {
			t.Errorf("a CAP key of its own sender: %v, %d stored", err, len(st.warnings))
		}
	})
}

// firstRecommender answers the desk's first recommendation, or fails with err.
type firstRecommender struct {
	asked []int64
	err   error
}

func (f *firstRecommender) RecommendFirst(_ context.Context, id int64, _ fireline.Alarm) ([]fireline.Recommendation, error) {
	f.asked = append(f.asked, id)
	if f.err != nil {
		return nil, f.err
	}
	return []fireline.Recommendation{{UnitID: "E1", Type: fireline.UnitEngine}}, nil
}

// TestDeskRecommendsAtIntake: an alarm that opens an incident is answered with the units
// recommended for it, before its hand-off; a repeat, a merged alarm or a panel's fault is not
// recommended for, and a recommendation that fails costs the alarm nothing: it is stored,
// handed off and answered, and the workflow recommends.
func TestDeskRecommendsAtIntake(t *testing.T) {
	ctx := context.Background()
	d, st, inc := newDesk()
	first := &firstRecommender{}
	d.RecommendFirst(first)
	rc, err := d.ReceiveAlarm(ctx, fireline.FormatAlarm, []byte(goodAlarm))
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Recommendation) != 1 || rc.Recommendation[0].UnitID != "E1" || !slices.Equal(first.asked, []int64{101}) || !slices.Equal(inc.received, []int64{101}) {
		t.Errorf("receipt %+v after asking for %v, handed off %v; want E1 for incident 101, handed off", rc, first.asked, inc.received)
	}
	if rc, err := d.ReceiveAlarm(ctx, fireline.FormatIoT, []byte(strings.Replace(goodPanelEvent, `"fire_alarm"`, `"fault"`, 1))); err != nil || rc.Recommendation != nil || len(first.asked) != 1 {
		t.Errorf("a panel's fault: %+v, %v; asked %v", rc, err, first.asked)
	}

	merged := &mergingStore{deskStore: st}
	d = intake.NewDesk(newIntake(), merged, st, inc, intake.DefaultDeskConfig(), slog.New(slog.DiscardHandler))
	d.RecommendFirst(first)
	for _, repeat := range []bool{false, true} {
		merged.repeat = repeat
		if rc, err := d.ReceiveAlarm(ctx, fireline.FormatAlarm, []byte(goodAlarm)); err != nil || rc.Recommendation != nil || len(first.asked) != 1 {
			t.Errorf("merged %v, repeat %v: %+v, %v; asked %v", !repeat, repeat, rc, err, first.asked)
		}
	}

	d, st, inc = newDesk()
	first = &firstRecommender{err: fireline.Errorf(fireline.EUNAVAILABLE, "the database is unavailable")}
	d.RecommendFirst(first)
	if rc, err := d.ReceiveAlarm(ctx, fireline.FormatAlarm, []byte(goodAlarm)); err != nil || rc.IncidentID != 101 || rc.Recommendation != nil ||
		len(st.stored) != 1 || !slices.Equal(inc.received, []int64{101}) {
		t.Errorf("recommendation failed: %+v, %v; stored %d, handed off %v; want the alarm taken all the same", rc, err, len(st.stored), inc.received)
	}
}

// mergingStore answers every alarm as joining incident 100, or as a repeat.
type mergingStore struct {
	*deskStore
	repeat bool
}

func (s *mergingStore) ReceiveAlarm(ctx context.Context, a fireline.Alarm, rule fireline.DedupeRule) (fireline.AlarmReceipt, error) {
	rc, err := s.deskStore.ReceiveAlarm(ctx, a, rule)
	rc.IncidentID, rc.Alarm.IncidentID, rc.Merged, rc.Repeat = 100, 100, !s.repeat, s.repeat
	return rc, err
}
