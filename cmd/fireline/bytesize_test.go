package main

import (
	"io"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4096": 4096, "512MiB": 512 << 20, "512M": 512 << 20, "2GiB": 2 << 30, "2 GB": 2 << 30, "1t": 1 << 40, "16KiB": 16 << 10,
	} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "MiB", "5 parsecs", "1.5G", "99999999999T"} {
		if got, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

// TestRecordingsMinFreeFlag: the reserve defaults to 512 MiB, takes a size from the flag or the
// environment, and 0 turns it off.
func TestRecordingsMinFreeFlag(t *testing.T) {
	for _, c := range []struct {
		env  string
		args []string
		want int64
	}{
		{"", nil, 512 << 20},
		{"", []string{"--recordings-min-free", "2GiB"}, 2 << 30},
		{"", []string{"--recordings-min-free", "0"}, 0},
		{"64MiB", nil, 64 << 20},
		{"64MiB", []string{"--recordings-min-free", "1G"}, 1 << 30},
	} {
		cfg := DefaultConfig()
		if err := cfg.fromEnv(func(k string) string {
			if k == "FIRELINE_RECORDINGS_MIN_FREE" {
				return c.env
			}
			return ""
		}); err != nil {
			t.Fatal(err)
		}
		if err := cfg.parse("serve", c.args, io.Discard); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if cfg.RecordingsMinFree != c.want {
			t.Errorf("env %q, flags %v: reserve %d, want %d", c.env, c.args, cfg.RecordingsMinFree, c.want)
		}
	}
	cfg := DefaultConfig()
	if err := cfg.parse("serve", []string{"--recordings-min-free", "lots"}, io.Discard); err == nil {
		t.Error("--recordings-min-free lots: no error")
	}
}
