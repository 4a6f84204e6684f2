package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// The analytics' settings: a targets file overrides only what it names, a bad one is refused at
// start with its reason, and so is a time zone no one knows.
func TestAnalyticsSettings(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	cfg := DefaultConfig()
	if err := cfg.validate("dev"); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if cfg.TimeZone != "Asia/Shanghai" || cfg.AnalyticsTargets != fireline.DefaultIntervalTargets() {
		t.Fatalf("defaults: zone %q targets %+v", cfg.TimeZone, cfg.AnalyticsTargets)
	}

	local := file("local.json", `{"turnout_fire": {"standard": "Liaocheng 2026", "target_s": 90, "percentile": 80}}`)
	if err := cfg.parse("serve", []string{"--analytics-targets", local, "--time-zone", "Europe/Berlin"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	want := fireline.DefaultIntervalTargets()
	want.TurnoutFire = fireline.Target{Standard: "Liaocheng 2026", Seconds: 90, Percentile: 80}
	if cfg.AnalyticsTargets != want || cfg.TimeZone != "Europe/Berlin" || cfg.validateAnalytics() != nil {
		t.Errorf("after the file: %+v in %s, want fire turnout alone changed", cfg.AnalyticsTargets, cfg.TimeZone)
	}

	for _, tt := range []struct {
		name, text, zone, want string
	}{
		{"unknown field", `{"turnout": {"target_s": 80}}`, "", `unknown field "turnout"`},
		{"percentile", `{"call_processing": {"standard": "x", "target_s": 60, "percentile": 0}}`, "", "call_processing.percentile"},
		{"zone", `{}`, "Mars/Olympus", `time zone "Mars/Olympus"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			args := []string{"--analytics-targets", file(tt.name+".json", tt.text)}
			if tt.zone != "" {
				args = append(args, "--time-zone", tt.zone)
			}
			err := cfg.parse("dev", args, io.Discard)
			if err == nil {
				err = cfg.validate("dev")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
