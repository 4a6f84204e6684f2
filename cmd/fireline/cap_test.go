package main

import (
	"io"
	"strings"
	"testing"
)

// TestCAPFlags: dev and serve name the centre's CAP sender and feed URL, with the sample city's
// by default, and refuse at start what a CAP reader would refuse.
func TestCAPFlags(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		sender string
		err    string
	}{
		{"default", nil, "cap-119@liaocheng.fireline.example", ""},
		{"a sender", []string{"--cap-sender", "cap@119.example.gov.cn", "--cap-public-url", "https://alerts.example.gov.cn"}, "cap@119.example.gov.cn", ""},
		{"a sender with a comma", []string{"--cap-sender", "a,b"}, "", "cap sender"},
		{"a feed URL that is not http", []string{"--cap-public-url", "ftp://x"}, "", "cap public url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.DatabaseURL, cfg.TemporalAddress = "postgres://x", "localhost:7233"
			if err := cfg.parse("serve", tt.args, io.Discard); err != nil {
				t.Fatal(err)
			}
			err := cfg.validate("serve")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("validate: %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || cfg.CAP.Sender.Address != tt.sender {
				t.Fatalf("sender %q, %v; want %q", cfg.CAP.Sender.Address, err, tt.sender)
			}
		})
	}
}
