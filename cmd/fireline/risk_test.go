package main

import (
	"testing"
	"time"
)

func TestRiskInterval(t *testing.T) {
	testDurationSetting(t, "interval", func(c Config) time.Duration { return c.RiskInterval }, []durationCase{
		{"default fifteen minutes", nil, nil, 15 * time.Minute, ""},
		{"flag", nil, []string{"--risk-interval", "1h"}, time.Hour, ""},
		{"environment", map[string]string{"FIRELINE_RISK_INTERVAL": "30m"}, nil, 30 * time.Minute, ""},
		{"flag over environment", map[string]string{"FIRELINE_RISK_INTERVAL": "30m"}, []string{"--risk-interval", "0"}, 0, ""},
		{"too short", nil, []string{"--risk-interval", "10s"}, 0, "at least 1m"},
		{"negative", nil, []string{"--risk-interval", "-1m"}, 0, "at least 1m"},
		{"not a duration", map[string]string{"FIRELINE_RISK_INTERVAL": "quarter hour"}, nil, 0, "not a duration"},
	})
}
