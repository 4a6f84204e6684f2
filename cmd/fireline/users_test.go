package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fireline/fireline"
)

// usersFake records what `fireline users` asks of the store; the embedded nil interface
// panics on anything else. The store's own rules are tested against PostgreSQL.
type usersFake struct {
	fireline.UserAdmin
	created  []fireline.NewUser
	password map[string]string
	disabled map[string]bool
	hasAdmin bool
}

func newUsersFake() *usersFake {
	return &usersFake{password: map[string]string{}, disabled: map[string]bool{}}
}

func (f *usersFake) HasAdmin(context.Context) (bool, error) { return f.hasAdmin, nil }

func (f *usersFake) CreateUser(_ context.Context, n fireline.NewUser) (fireline.Account, error) {
	if err := n.Validate(); err != nil {
		return fireline.Account{}, err
	}
	f.created = append(f.created, n)
	return fireline.Account{User: fireline.User{Username: n.Username, Role: n.Role, UnitID: n.UnitID}}, nil
}

func (f *usersFake) SetPassword(_ context.Context, name, password string) error {
	f.password[name] = password
	return nil
}

func (f *usersFake) UpdateUser(_ context.Context, name string, u fireline.UserUpdate) (fireline.Account, error) {
	f.disabled[name] = *u.Disabled
	return fireline.Account{}, nil
}

func (f *usersFake) EndSessions(context.Context, string) (int, error) { return 2, nil }

func (f *usersFake) Users(context.Context) ([]fireline.Account, error) {
	return []fireline.Account{
		{User: fireline.User{Username: "admin", Role: fireline.RoleAdmin}},
		{User: fireline.User{Username: "crew-E1", Role: fireline.RoleField, UnitID: "E1"}, Disabled: true},
	}, nil
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsersCommand(t *testing.T) {
	ctx := context.Background()
	f := newUsersFake()
	var out, errs bytes.Buffer
	run := func(stdin string, args ...string) error {
		out.Reset()
		return runUsers(ctx, f, args, strings.NewReader(stdin), &out, &errs)
	}

	// The password comes from stdin, or a file; flags may follow the name.
	if err := run("correct horse battery\n", "add", "li.wei", "--role", "admin"); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "crew passphrase 1\nignored second line\n")
	if err := run("", "add", "--role", "field", "--unit", "E1", "--password-file", file, "crew-E1"); err != nil {
		t.Fatal(err)
	}
	want := []fireline.NewUser{
		{Username: "li.wei", Role: fireline.RoleAdmin, Password: "correct horse battery"},
		{Username: "crew-E1", Role: fireline.RoleField, UnitID: "E1", Password: "crew passphrase 1"},
	}
	if len(f.created) != 2 || f.created[0] != want[0] || f.created[1] != want[1] {
		t.Errorf("created %+v, want %+v", f.created, want)
	}

	// Never from a flag; never empty; the policy applies.
	if err := run("", "add", "--password", "correct horse battery", "wang"); err == nil {
		t.Error("a --password flag was accepted")
	}
	if err := run("", "add", "wang"); err == nil || !strings.Contains(err.Error(), "no password given") {
		t.Errorf("empty stdin: %v", err)
	}
	if err := run("short\n", "add", "wang"); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Errorf("short password: %v", err)
	}

	if err := run("a new passphrase\n", "passwd", "li.wei"); err != nil || f.password["li.wei"] != "a new passphrase" {
		t.Errorf("passwd: %v, %v", err, f.password)
	}
	if err := run("", "disable", "li.wei"); err != nil || !f.disabled["li.wei"] {
		t.Errorf("disable: %v", err)
	}
	if err := run("", "enable", "li.wei"); err != nil || f.disabled["li.wei"] {
		t.Errorf("enable: %v", err)
	}
	if err := run("", "revoke", "li.wei"); err != nil || !strings.Contains(out.String(), "ended 2 session(s) of li.wei") {
		t.Errorf("revoke: %v %q", err, out.String())
	}
	if err := run("", "list"); err != nil || !strings.Contains(out.String(), "crew-E1") || !strings.Contains(out.String(), "disabled") {
		t.Errorf("list: %v %q", err, out.String())
	}
	if err := run("", "disable"); err == nil {
		t.Error("disable without a name was accepted")
	}
	if err := run("", "frobnicate"); err == nil {
		t.Error("an unknown command was accepted")
	}
}

func TestServeNeedsAnAdministrator(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	cfg := DefaultConfig()

	// There is one: serve starts, creating nobody.
	f := newUsersFake()
	f.hasAdmin = true
	cfg.AdminPasswordFile = writeFile(t, "first admin passphrase\n")
	if err := ensureAdmin(ctx, f, cfg, &out); err != nil || len(f.created) != 0 {
		t.Errorf("with an administrator: %v, created %v", err, f.created)
	}

	// None, and no password file: serve refuses, saying what to run.
	f = newUsersFake()
	cfg.AdminPasswordFile = ""
	err := ensureAdmin(ctx, f, cfg, &out)
	if err == nil || !strings.Contains(err.Error(), "fireline users add --role admin --password-file /path/to/password admin") ||
		!strings.Contains(err.Error(), "FIRELINE_ADMIN_PASSWORD_FILE") {
		t.Errorf("without an administrator: %v", err)
	}

	// None, and a password file: the administrator is created from it.
	cfg.AdminPasswordFile = writeFile(t, "first admin passphrase\n")
	cfg.AdminUsername = "chief"
	if err := ensureAdmin(ctx, f, cfg, &out); err != nil {
		t.Fatal(err)
	}
	if len(f.created) != 1 || f.created[0] != (fireline.NewUser{Username: "chief", Role: fireline.RoleAdmin, Password: "first admin passphrase"}) {
		t.Errorf("created %+v", f.created)
	}

	// A weak password in the file is refused like any other.
	f = newUsersFake()
	cfg.AdminPasswordFile = writeFile(t, "chief\n")
	if err := ensureAdmin(ctx, f, cfg, &out); err == nil || len(f.created) != 0 {
		t.Errorf("weak bootstrap password: %v, created %v", err, f.created)
	}
}
