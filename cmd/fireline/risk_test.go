package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRiskInterval(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    time.Duration
		wantErr string
	}{
		{"default fifteen minutes", nil, nil, 15 * time.Minute, ""},
		{"flag", nil, []string{"--risk-interval", "1h"}, time.Hour, ""},
		{"environment", map[string]string{"FIRELINE_RISK_INTERVAL": "30m"}, nil, 30 * time.Minute, ""},
		{"flag over environment", map[string]string{"FIRELINE_RISK_INTERVAL": "30m"}, []string{"--risk-interval", "0"}, 0, ""},
		{"too short", nil, []string{"--risk-interval", "10s"}, 0, "at least 1m"},
		{"negative", nil, []string{"--risk-interval", "-1m"}, 0, "at least 1m"},
		{"not a duration", map[string]string{"FIRELINE_RISK_INTERVAL": "quarter hour"}, nil, 0, "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := cfg.fromEnv(env(tt.env))
			if err == nil {
				err = cfg.parse("dev", tt.args, &bytes.Buffer{})
			}
			if err == nil {
				err = cfg.validate("dev")
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || cfg.RiskInterval != tt.want {
				t.Fatalf("interval %s, %v; want %s", cfg.RiskInterval, err, tt.want)
			}
		})
	}
}
