package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestFindings: a review's findings are recorded with their author and time, read back in
// order, corrected only by new findings of the same incident, and never rewritten.
func TestFindings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	inc, other := openIncident(t, db, cellA), openIncident(t, db, cellB)

	none, err := db.Findings(ctx, inc)
	must(t, err)
	if none == nil || len(none) != 0 {
		t.Fatalf("findings of an incident without any: %#v, want empty", none)
	}

	at := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	first, err := db.AddFinding(ctx, fireline.Finding{IncidentID: inc, Category: fireline.FindingCommunication,
		Text: "地下车库内无线电中断约两分钟。", Author: "risk", AuthorRole: fireline.RoleRisk, At: at})
	must(t, err)
	if first.ID == 0 || first.IncidentID != inc || !first.At.Equal(at) || first.Author != "risk" ||
		first.AuthorRole != fireline.RoleRisk || first.Corrects != 0 || first.Category != fireline.FindingCommunication {
		t.Fatalf("first finding %+v", first)
	}
	// No time: the database's clock.
	before := time.Now().Add(-time.Minute)
	fix, err := db.AddFinding(ctx, fireline.Finding{IncidentID: inc, Category: fireline.FindingCommunication,
		Text: "About three minutes, not two: the repeater log says so.", Author: "supervisor",
		AuthorRole: fireline.RoleSupervisor, Corrects: first.ID})
	must(t, err)
	if fix.Corrects != first.ID || fix.At.Before(before) {
		t.Fatalf("correction %+v", fix)
	}
	elsewhere, err := db.AddFinding(ctx, fireline.Finding{IncidentID: other, Category: fireline.FindingEquipment,
		Text: "Pump of E2 slow to prime.", Author: "risk", AuthorRole: fireline.RoleRisk})
	must(t, err)

	list, err := db.Findings(ctx, inc)
	must(t, err)
	if len(list) != 2 || list[0] != first || list[1].ID != fix.ID || list[1].Text != fix.Text {
		t.Fatalf("findings %+v, want the first and its correction in order", list)
	}

	refusals := []struct {
		name string
		f    fireline.Finding
		code string
	}{
		{"unknown incident", fireline.Finding{IncidentID: 999999, Category: fireline.FindingOther, Text: "x", Author: "risk"}, fireline.ENOTFOUND},
		{"correcting another incident's finding", fireline.Finding{IncidentID: inc, Category: fireline.FindingOther, Text: "x",
			Author: "risk", Corrects: elsewhere.ID}, fireline.EINVALID},
		{"correcting a finding that does not exist", fireline.Finding{IncidentID: inc, Category: fireline.FindingOther, Text: "x",
			Author: "risk", Corrects: 999999}, fireline.EINVALID},
		{"unknown category", fireline.Finding{IncidentID: inc, Category: "luck", Text: "x", Author: "risk"}, fireline.EINVALID},
		{"blank", fireline.Finding{IncidentID: inc, Category: fireline.FindingOther, Text: "  ", Author: "risk"}, fireline.EINVALID},
		{"no author", fireline.Finding{IncidentID: inc, Category: fireline.FindingOther, Text: "x"}, fireline.EINVALID},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.AddFinding(ctx, tt.f)
			wantCode(t, err, tt.code)
		})
	}
	if msg := func() string {
		_, err := db.AddFinding(ctx, fireline.Finding{IncidentID: inc, Category: fireline.FindingOther, Text: "x", Author: "risk", Corrects: elsewhere.ID})
		return fireline.ErrorMessage(err)
	}(); msg == "" || msg == "internal error" {
		t.Errorf("correcting another incident's finding: message %q, want one that names it", msg)
	}
	_, err = db.Findings(ctx, 999999)
	wantCode(t, err, fireline.ENOTFOUND)

	t.Run("append-only", func(t *testing.T) {
		conn := sqlConn(t, url)
		for _, sql := range []string{"UPDATE incident_findings SET text = 'rewritten'", "DELETE FROM incident_findings"} {
			if _, err := conn.Exec(ctx, sql); err == nil {
				t.Errorf("%s succeeded", sql)
			}
		}
		after, err := db.Findings(ctx, inc)
		must(t, err)
		if len(after) != 2 || after[0].Text != first.Text {
			t.Errorf("findings after the attempts: %+v", after)
		}
	})
}
