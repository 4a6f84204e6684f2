package main

import (
	"io"
	"strings"
	"testing"
)

// TestEIDOAgencyIDFlag: dev and serve take --eido-agency-id, the sample centre's by default,
// and refuse at start an id that is not a domain name with a parent.
func TestEIDOAgencyIDFlag(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		args []string
		want string
		err  string
	}{
		{"dev", nil, "fire.liaocheng.example", ""},
		{"serve", []string{"--eido-agency-id", "119.jinan.example.cn"}, "119.jinan.example.cn", ""},
		{"dev", []string{"--eido-agency-id=liaocheng"}, "", "--eido-agency-id: eido agency id \"liaocheng\": a domain name of two labels or more"},
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
			if err != nil || cfg.EIDO.AgencyID != tt.want {
				t.Fatalf("agency id %q, %v; want %q", cfg.EIDO.AgencyID, err, tt.want)
			}
		})
	}
}
