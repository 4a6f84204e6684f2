package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// env is a getenv over a map.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// secretFile writes value to a file of the given mode and returns its path.
func secretFile(t *testing.T, value string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSecret(t *testing.T) {
	const value = "s3cret-Ω-value"
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"unset", map[string]string{}, "", ""},
		{"from the environment", map[string]string{"X": value}, value, ""},
		{"from a file, its newline trimmed", map[string]string{"X_FILE": secretFile(t, value+"\n", 0o600)}, value, ""},
		{"from a group-readable file", map[string]string{"X_FILE": secretFile(t, value+"\r\n", 0o640)}, value, ""},
		{"only one newline trimmed", map[string]string{"X_FILE": secretFile(t, value+" \n\n", 0o400)}, value + " \n", ""},
		{"both set", map[string]string{"X": value, "X_FILE": secretFile(t, value, 0o600)}, "", "X and X_FILE are both set"},
		{"world-readable file", map[string]string{"X_FILE": secretFile(t, value, 0o644)}, "", "readable by every user (mode 0644)"},
		{"missing file", map[string]string{"X_FILE": filepath.Join(t.TempDir(), "none")}, "", "no such file"},
		{"empty file", map[string]string{"X_FILE": secretFile(t, "\n", 0o600)}, "", "is empty"},
		{"a folder", map[string]string{"X_FILE": t.TempDir()}, "", "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secret(env(tt.env), "X")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("secret: %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), value) {
					t.Errorf("the error shows the secret: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("secret: %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestSecretsFromFiles reads every secret of the command from its _FILE form, and proves no
// error of the configuration shows one.
func TestSecretsFromFiles(t *testing.T) {
	files := map[string]string{
		"DATABASE_URL":                  "postgres://fireline:db-pw-123@db.example:5432/fireline",
		"FIRELINE_RECORDING_KEY":        "recording-key-0123456789",
		"FIRELINE_DEMO_PASSWORD":        "demo-pw-456",
		"FIRELINE_ICE_SERVERS":          "stun:stun.example:3478\nturn:turn.example:3478?transport=udp;username=crew;credential=turn-pw-789\n",
		"FIRELINE_MIGRATE_DATABASE_URL": "postgres://owner:owner-pw-321@db.example:5432/fireline",
		"FIRELINE_OIDC_CLIENT_SECRET":   "oidc-secret-654",
	}
	if len(files) != len(secretNames) {
		t.Fatalf("test covers %d secrets, the command reads %d: %v", len(files), len(secretNames), secretNames)
	}
	e := map[string]string{}
	for _, name := range secretNames {
		e[name+"_FILE"] = secretFile(t, files[name], 0o600)
	}
	cfg := DefaultConfig()
	if err := cfg.fromEnv(env(e)); err != nil {
		t.Fatal(err)
	}
	if cfg.MigrateDatabaseURL != files["FIRELINE_MIGRATE_DATABASE_URL"] || cfg.OIDC.ClientSecret != files["FIRELINE_OIDC_CLIENT_SECRET"] {
		t.Errorf("config %+v: the owner's URL or the directory's secret not read from their files", cfg)
	}
	if cfg.DatabaseURL != files["DATABASE_URL"] || cfg.RecordingKey != files["FIRELINE_RECORDING_KEY"] || cfg.DemoPassword != files["FIRELINE_DEMO_PASSWORD"] {
		t.Errorf("config %+v: secrets not read from their files", cfg)
	}
	ice, err := iceServers(cfg.ICEServers)
	if err != nil || len(ice) != 2 || ice[1].Credential != "turn-pw-789" || ice[1].Username != "crew" {
		t.Errorf("ICE servers %+v, %v; want the STUN server and the TURN server with its credential", ice, err)
	}

	// Each file world-readable: refused, and no error shows what the file holds.
	for _, name := range secretNames {
		e[name+"_FILE"] = secretFile(t, files[name], 0o644)
	}
	cfg = DefaultConfig()
	err = cfg.fromEnv(env(e))
	if err == nil {
		t.Fatal("world-readable secret files were accepted")
	}
	for _, name := range secretNames {
		if !strings.Contains(err.Error(), name+"_FILE") {
			t.Errorf("error does not name %s_FILE: %v", name, err)
		}
	}
	for _, pw := range []string{"db-pw-123", "recording-key", "demo-pw-456", "turn-pw-789", "owner-pw-321", "oidc-secret-654"} {
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}

// TestTURNCredentialNotAFlag refuses a TURN credential on the command line, where ps shows it.
func TestTURNCredentialNotAFlag(t *testing.T) {
	var stderr bytes.Buffer
	cfg := DefaultConfig()
	err := cfg.parse("serve", []string{"--ice-server", "turn:turn.example:3478;username=crew;credential=pw-on-argv"}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "FIRELINE_ICE_SERVERS") {
		t.Fatalf("parse: %v; want the credential refused with a pointer to FIRELINE_ICE_SERVERS", err)
	}
	cfg = DefaultConfig()
	if err := cfg.parse("serve", []string{"--ice-server", "turn:turn.example:3478;username=crew"}, &stderr); err != nil {
		t.Fatalf("a TURN server without its credential: %v", err)
	}
}

// TestDatabaseURLNotShown runs migrate against a database that is not there and one whose URL
// does not parse: neither the error nor the log shows the password.
func TestDatabaseURLNotShown(t *testing.T) {
	const pw = "hunter2-db-password"
	for _, url := range []string{
		"postgres://fireline:" + pw + "@127.0.0.1:1/fireline?sslmode=disable&connect_timeout=2",
		"postgres://fireline:" + pw + "@127.0.0.1:notaport/fireline",
		"host=127.0.0.1 port=1 password=" + pw + " dbname=fireline connect_timeout=2 sslmode=disable",
	} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := run(ctx, []string{"migrate", "--log-level", "debug"}, env(map[string]string{"DATABASE_URL": url}), &stdout, &stderr)
		cancel()
		if err == nil {
			t.Fatalf("migrate against %s succeeded", strings.ReplaceAll(url, pw, "***"))
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(stderr.String(), pw) || strings.Contains(stdout.String(), pw) {
			t.Errorf("the database password shows:\nerror: %v\nlog: %s", err, stderr.String())
		}
	}
}

func TestPersonalDataRetention(t *testing.T) {
	testDurationSetting(t, "retention", func(c Config) time.Duration { return c.PersonalDataRetention }, []durationCase{
		{"default ninety days", nil, nil, 90 * 24 * time.Hour, ""},
		{"flag", nil, []string{"--personal-data-retention", "720h"}, 720 * time.Hour, ""},
		{"environment", map[string]string{"FIRELINE_PERSONAL_DATA_RETENTION": "2160h"}, nil, 2160 * time.Hour, ""},
		{"flag over environment", map[string]string{"FIRELINE_PERSONAL_DATA_RETENTION": "2160h"}, []string{"--personal-data-retention", "0"}, 0, ""},
		{"too short", nil, []string{"--personal-data-retention", "5m"}, 0, "at least 1h"},
		{"negative", nil, []string{"--personal-data-retention", "-1h"}, 0, "at least 1h"},
		{"not a duration", map[string]string{"FIRELINE_PERSONAL_DATA_RETENTION": "90 days"}, nil, 0, "not a duration"},
	})
}

// durationCase is one way a duration setting is given (environment, flags) and what it becomes.
type durationCase struct {
	name    string
	env     map[string]string
	args    []string
	want    time.Duration
	wantErr string
}

// testDurationSetting reads each case's environment and flags as `fireline dev` does and checks
// the setting get returns, or the error.
func testDurationSetting(t *testing.T, what string, get func(Config) time.Duration, tests []durationCase) {
	t.Helper()
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
			if got := get(cfg); err != nil || got != tt.want {
				t.Fatalf("%s %s, %v; want %s", what, got, err, tt.want)
			}
		})
	}
}

// TestLogMasksPhones logs a call's phone number the ways a component might — an attribute named
// for it, a fireline.Phone under any name, the alarm itself, inside a group — in both formats:
// each line shows the mask and never the number.
func TestLogMasksPhones(t *testing.T) {
	const number = "13812345678"
	a := fireline.Alarm{ID: 7, Source: fireline.SourceCall, SourceID: "119-7", Caller: "王小明", Description: "我在 13812345678",
		Details: fireline.AlarmDetails{CallerNumber: number}}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			cfg := DefaultConfig()
			cfg.LogFormat = format
			log := newLogger(cfg, &buf)
			log.Info("call", "caller_number", number)
			log.Info("call", "phone", number, "callback", 13812345678)
			log.Info("call", "reporter", fireline.Phone(number))
			log.Info("alarm received", "alarm", a)
			log.WithGroup("intake").Info("call", slog.Group("form", "caller_phone", number))
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 5 {
				t.Fatalf("%d lines logged, want 5:\n%s", len(lines), buf.String())
			}
			for _, line := range lines {
				if strings.Contains(line, number) || strings.Contains(line, "王小明") {
					t.Errorf("line shows the caller: %s", line)
				}
				if !strings.Contains(line, "*******5678") {
					t.Errorf("line lacks the mask *******5678: %s", line)
				}
			}
		})
	}
}
