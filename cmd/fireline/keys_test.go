package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestKeysCommand: fireline keys creates a key (its secret printed once), lists it and
// revokes it, against a real PostgreSQL, through the store methods the admin API calls.
func TestKeysCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, url := migratedDB(ctx, t, "keys")
	env := func(k string) string {
		return map[string]string{"DATABASE_URL": url, "USER": "duty-admin"}[k]
	}
	keys := func(args ...string) (string, error) {
		var out, errs bytes.Buffer
		err := run(ctx, append([]string{"keys"}, args...), env, &out, &errs)
		return out.String() + errs.String(), err
	}

	out, err := keys("create", "--name", "DCF lamp posts", "--source", "lamppost", "--prefix", "LP-DCF-")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	secret := regexp.MustCompile(`flk_[A-Za-z0-9_-]{43}`).FindString(out)
	if secret == "" || !strings.Contains(out, `API key 1 "DCF lamp posts" posts lamppost alarms whose source id begins with "LP-DCF-"`) {
		t.Fatalf("create printed %q", out)
	}
	k, err := db.APIKeyBySecret(ctx, secret)
	if err != nil || k.CreatedBy != "cli:duty-admin" || k.Grant().Source != fireline.SourceLampPost {
		t.Fatalf("the printed secret signs in as %+v, %v", k, err)
	}
	if out, err := keys("create", "--name", "calls", "--source", "call"); err == nil || !strings.Contains(err.Error(), `source: "call" is not one of`) {
		t.Errorf("a key for calls: %v\n%s", err, out)
	}
	out, err = keys("list")
	if err != nil || !strings.Contains(out, "DCF lamp posts") || strings.Contains(out, secret) {
		t.Errorf("list: %v\n%s", err, out)
	}
	if out, err := keys("revoke", "1"); err != nil || !strings.Contains(out, `API key 1 "DCF lamp posts" revoked at`) || !strings.Contains(out, "by cli:duty-admin") {
		t.Errorf("revoke: %v\n%s", err, out)
	}
	if _, err := db.APIKeyBySecret(ctx, secret); fireline.ErrorCode(err) != fireline.EUNAUTHORIZED {
		t.Errorf("a revoked key signs in: %v", err)
	}
	if _, err := keys("revoke", "9"); err == nil || !strings.Contains(err.Error(), "API key 9 does not exist") {
		t.Errorf("revoke of an unknown key: %v", err)
	}
}
