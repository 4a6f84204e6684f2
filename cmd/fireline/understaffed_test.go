package main

import (
	"io"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// TestUnderstaffedFlag: dev and serve take --understaffed flag or skip, flag by default, and
// refuse anything else at start.
func TestUnderstaffedFlag(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		args []string
		want fireline.Understaffed
		err  string
	}{
		{"dev", nil, fireline.UnderstaffedFlag, ""},
		{"dev", []string{"--understaffed", "skip"}, fireline.UnderstaffedSkip, ""},
		{"serve", []string{"--understaffed=flag"}, fireline.UnderstaffedFlag, ""},
		{"dev", []string{"--understaffed", "ignore"}, "", `understaffed "ignore": want flag or skip`},
	} {
		t.Run(strings.Join(append([]string{tt.cmd}, tt.args...), " "), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.DatabaseURL, cfg.TemporalAddress = "postgres://x", "localhost:7233"
			if err := cfg.parse(tt.cmd, tt.args, io.Discard); err != nil {
				t.Fatal(err)
			}
			err := cfg.validate(tt.cmd)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("validate: %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || cfg.Understaffed != tt.want {
				t.Fatalf("understaffed %q, %v; want %q", cfg.Understaffed, err, tt.want)
			}
		})
	}
}
