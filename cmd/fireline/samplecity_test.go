package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/samplecity"
)

// TestSampleCityCommand: fireline sample-city loads the sample city into a migrated, empty
// database and lets the demo logins sign in with the password file's password; run again, it
// leaves the city as it is (a unit out on an incident stays out); without a password it refuses.
func TestSampleCityCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, url := migratedDB(ctx, t, "samplecity")
	env := func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
	sample := func(args ...string) (string, error) {
		var out, errs bytes.Buffer
		err := run(ctx, append([]string{"sample-city"}, args...), env, &out, &errs)
		return out.String() + errs.String(), err
	}
	if out, err := sample(); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("without a password: %v\n%s", err, out)
	}
	pw := filepath.Join(t.TempDir(), "demo-password")
	if err := os.WriteFile(pw, []byte("drill-pass-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := sample("--password-file", pw); err != nil {
		t.Fatalf("sample-city: %v\n%s", err, out)
	}
	city := samplecity.Liaocheng()
	units, err := db.Units(ctx, fireline.UnitFilter{})
	if err != nil || len(units) != len(city.Units) {
		t.Fatalf("units %d, %v; want the sample city's %d", len(units), err, len(city.Units))
	}
	if _, err := db.Authenticate(ctx, "operator", "drill-pass-1234"); err != nil {
		t.Errorf("operator signs in with the file's password: %v", err)
	}
	if _, err := db.SetUnitStatus(ctx, units[0].ID, 0, fireline.UnitOutOfService, time.Now()); err != nil {
		t.Fatal(err)
	}
	if out, err := sample("--password-file", pw); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	again, err := db.Units(ctx, fireline.UnitFilter{})
	if err != nil || len(again) != len(units) {
		t.Fatalf("after a second run: %d units, %v", len(again), err)
	}
	for _, u := range again {
		if u.ID == units[0].ID && u.Status != fireline.UnitOutOfService {
			t.Errorf("a second run reset unit %s to %s", u.ID, u.Status)
		}
	}
}
