package fireline_test

import (
	"testing"

	"github.com/fireline/fireline"
)

func TestRiskLevels(t *testing.T) {
	for _, tt := range []struct {
		score float64
		level fireline.RiskLevel
		name  string
	}{
		{0, 1, "low"}, {19.99, 1, "low"}, {20, 2, "moderate"}, {40, 3, "high"}, {60, 4, "very_high"}, {80, 5, "extreme"}, {100, 5, "extreme"},
	} {
		if l := fireline.LevelOf(tt.score); l != tt.level || l.Name() != tt.name {
			t.Errorf("LevelOf(%v) = %d %s, want %d %s", tt.score, l, l.Name(), tt.level, tt.name)
		}
	}
}

func TestRiskModelFactors(t *testing.T) {
	m := fireline.DefaultRiskModel()
	for _, tt := range []struct {
		cat   fireline.IncidentCategory
		years int
		want  float64
	}{
		{fireline.CategoryFire, 0, 1}, {fireline.CategoryFire, 1, 0.5}, {fireline.CategoryFire, 2, 0.25},
		{fireline.CategoryHazmat, 0, 0.5}, {fireline.CategoryEMS, 1, 0.1}, {"unknown", 0, 0.2},
	} {
		if got := m.IncidentWeight(tt.cat, tt.years); got != tt.want {
			t.Errorf("IncidentWeight(%s, %d) = %v, want %v", tt.cat, tt.years, got, tt.want)
		}
	}
	// Ten fires this year are 80 points before the cap: the history gives at most 40.
	h := m.HistoryFactor([]fireline.RiskIncidents{{Category: fireline.CategoryFire, Count: 10}})
	if h.Value != 10 || h.Points != 40 || h.Incidents[0].Each != 1 {
		t.Errorf("history %+v", h)
	}
	p := m.PremisesFactor([]fireline.RiskPremise{{ID: "A", Kind: "petrol_station", Hazards: 3}, {ID: "B", Kind: "office"}})
	if p.Value != 5.5 || p.Points != 16.5 || p.Premises[0].Value != 4.5 || p.Premises[1].Value != 1 {
		t.Errorf("premises %+v", p)
	}
	// B's fire protection is impaired now: 1 + ImpairedWeight 2; A is not; the stored factor
	// is left as it was.
	imp := m.ImpairPremises(p, map[string]bool{"B": true, "elsewhere": true})
	if imp.Value != 7.5 || imp.Points != 22.5 || imp.Premises[0].Impaired || !imp.Premises[1].Impaired ||
		imp.Premises[1].Value != 3 || p.Premises[1].Impaired {
		t.Errorf("impaired premises %+v (stored %+v)", imp, p)
	}
	if got := m.ImpairPremises(p, map[string]bool{"elsewhere": true}); got.Points != p.Points || got.Premises[1].Impaired {
		t.Errorf("no premises of the cell impaired: %+v", got)
	}
	w := m.WarningsFactor([]fireline.RiskWarning{{Readiness: 1}, {Readiness: 2}})
	if w.Value != 2 || w.Points != 24 {
		t.Errorf("warnings %+v", w)
	}
	if s := fireline.RiskScore([]fireline.RiskFactor{h, p, w}); s != 80.5 {
		t.Errorf("score %v, want 40 + 16.5 + 24", s)
	}
	if m.HistoryCap+m.PremisesCap+m.WarningsCap != 100 {
		t.Errorf("caps add up to %v, want a score out of 100", m.HistoryCap+m.PremisesCap+m.WarningsCap)
	}
}
