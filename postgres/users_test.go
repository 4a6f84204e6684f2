package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

const goodPassword = "correct horse battery"

func TestCreateUserRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	_, err := db.CreateUser(ctx, fireline.NewUser{Username: "li.wei", Role: fireline.RoleOperator, Password: goodPassword})
	must(t, err)
	tests := []struct {
		name string
		n    fireline.NewUser
		code string
	}{
		{"taken", fireline.NewUser{Username: "li.wei", Role: fireline.RoleOperator, Password: goodPassword}, fireline.ECONFLICT},
		{"short password", fireline.NewUser{Username: "wang", Role: fireline.RoleOperator, Password: "elevenchars"}, fireline.EINVALID},
		{"password is the username", fireline.NewUser{Username: "zhang.san.feng", Role: fireline.RoleOperator, Password: "Zhang.San.Feng"}, fireline.EINVALID},
		{"bad username", fireline.NewUser{Username: "li wei", Role: fireline.RoleOperator, Password: goodPassword}, fireline.EINVALID},
		{"username starts with a dot", fireline.NewUser{Username: ".li", Role: fireline.RoleOperator, Password: goodPassword}, fireline.EINVALID},
		{"unknown role", fireline.NewUser{Username: "wang", Role: "chief", Password: goodPassword}, fireline.EINVALID},
		{"field without unit", fireline.NewUser{Username: "wang", Role: fireline.RoleField, Password: goodPassword}, fireline.EINVALID},
		{"operator with unit", fireline.NewUser{Username: "wang", Role: fireline.RoleOperator, UnitID: "E1", Password: goodPassword}, fireline.EINVALID},
		{"unknown unit", fireline.NewUser{Username: "wang", Role: fireline.RoleField, UnitID: "Z9", Password: goodPassword}, fireline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.CreateUser(ctx, tt.n)
			wantCode(t, err, tt.code)
		})
	}
	users, err := db.Users(ctx)
	must(t, err)
	if len(users) != 1 || users[0].Username != "li.wei" {
		t.Errorf("Users = %+v, want li.wei alone", users)
	}
}

func TestManageUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := cityDB(t)
	admin, err := db.CreateUser(ctx, fireline.NewUser{Username: "admin", Role: fireline.RoleAdmin, Password: goodPassword})
	must(t, err)
	if admin.Disabled || admin.CreatedAt.IsZero() || admin.Role != fireline.RoleAdmin {
		t.Errorf("created %+v", admin)
	}
	crew, err := db.CreateUser(ctx, fireline.NewUser{Username: "crew-E1", Role: fireline.RoleField, UnitID: "E1", Password: goodPassword})
	must(t, err)
	if crew.UnitID != "E1" {
		t.Errorf("crew unit %q, want E1", crew.UnitID)
	}
	ok, err := db.HasAdmin(ctx)
	must(t, err)
	if !ok {
		t.Error("HasAdmin = false with an enabled administrator")
	}

	// A crew device moves to another unit, then becomes an operator: the unit goes with the role.
	l1 := "L1"
	a, err := db.UpdateUser(ctx, "crew-E1", fireline.UserUpdate{UnitID: &l1})
	must(t, err)
	if a.UnitID != "L1" {
		t.Errorf("unit after update %q, want L1", a.UnitID)
	}
	op := fireline.RoleOperator
	a, err = db.UpdateUser(ctx, "crew-E1", fireline.UserUpdate{Role: &op})
	must(t, err)
	if a.Role != fireline.RoleOperator || a.UnitID != "" {
		t.Errorf("after role change %+v, want an operator with no unit", a)
	}
	field := fireline.RoleField
	_, err = db.UpdateUser(ctx, "crew-E1", fireline.UserUpdate{Role: &field})
	wantCode(t, err, fireline.EINVALID)
	_, err = db.UpdateUser(ctx, "nobody", fireline.UserUpdate{Role: &op})
	wantCode(t, err, fireline.ENOTFOUND)

	// Disabling ends the sessions and the logins; enabling lets the user sign in again.
	u, err := db.Authenticate(ctx, "crew-E1", goodPassword)
	must(t, err)
	token, err := db.StartSession(ctx, u, fireline.SessionInfo{TTL: time.Hour})
	must(t, err)
	yes, no := true, false
	a, err = db.UpdateUser(ctx, "crew-E1", fireline.UserUpdate{Disabled: &yes})
	must(t, err)
	if !a.Disabled {
		t.Error("not disabled")
	}
	_, err = db.SessionUser(ctx, token)
	wantCode(t, err, fireline.EUNAUTHORIZED)
	_, err = db.Authenticate(ctx, "crew-E1", goodPassword)
	wantCode(t, err, fireline.EFORBIDDEN)
	_, err = db.UpdateUser(ctx, "crew-E1", fireline.UserUpdate{Disabled: &no})
	must(t, err)
	_, err = db.Authenticate(ctx, "crew-E1", goodPassword)
	must(t, err)

	// The last enabled administrator stays one.
	_, err = db.UpdateUser(ctx, "admin", fireline.UserUpdate{Disabled: &yes})
	wantCode(t, err, fireline.ECONFLICT)
	_, err = db.UpdateUser(ctx, "admin", fireline.UserUpdate{Role: &op})
	wantCode(t, err, fireline.ECONFLICT)

	// A new password ends the sessions; the old one no longer works.
	token, err = db.StartSession(ctx, u, fireline.SessionInfo{TTL: time.Hour})
	must(t, err)
	wantCode(t, db.SetPassword(ctx, "crew-E1", "short"), fireline.EINVALID)
	wantCode(t, db.SetPassword(ctx, "nobody", goodPassword), fireline.ENOTFOUND)
	must(t, db.SetPassword(ctx, "crew-E1", "a new long passphrase"))
	_, err = db.SessionUser(ctx, token)
	wantCode(t, err, fireline.EUNAUTHORIZED)
	_, err = db.Authenticate(ctx, "crew-E1", goodPassword)
	wantCode(t, err, fireline.EUNAUTHORIZED)

	// A user's own change needs the old password.
	wantCode(t, db.ChangePassword(ctx, "crew-E1", "not the password", "another passphrase"), fireline.EINVALID)
	must(t, db.ChangePassword(ctx, "crew-E1", "a new long passphrase", "another passphrase"))
	_, err = db.Authenticate(ctx, "crew-E1", "another passphrase")
	must(t, err)

	users, err := db.Users(ctx)
	must(t, err)
	if len(users) != 2 || users[0].Username != "admin" || users[1].Username != "crew-E1" {
		t.Errorf("Users = %+v", users)
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	_, err := db.CreateUser(ctx, fireline.NewUser{Username: "operator", Role: fireline.RoleOperator, Password: goodPassword})
	must(t, err)
	op := fireline.User{Username: "operator", Role: fireline.RoleOperator}
	first, err := db.StartSession(ctx, op, fireline.SessionInfo{TTL: time.Hour, RemoteAddr: "10.0.0.7", UserAgent: "Firefox"})
	must(t, err)
	second, err := db.StartSession(ctx, op, fireline.SessionInfo{TTL: time.Hour, RemoteAddr: "10.0.0.8", UserAgent: "Chromium"})
	must(t, err)
	sessions, err := db.Sessions(ctx, "operator")
	must(t, err)
	if len(sessions) != 2 || sessions[0].RemoteAddr != "10.0.0.8" || sessions[0].UserAgent != "Chromium" ||
		sessions[1].RemoteAddr != "10.0.0.7" || sessions[0].ID == sessions[1].ID {
		t.Fatalf("Sessions = %+v", sessions)
	}
	if s := sessions[0]; s.CreatedAt.IsZero() || s.LastSeen.IsZero() || !s.ExpiresAt.After(s.CreatedAt) {
		t.Errorf("session times %+v", s)
	}

	// Last seen moves at most once a minute.
	conn := sqlConn(t, url)
	_, err = conn.Exec(ctx, "UPDATE sessions SET last_seen = now() - interval '10 minutes'")
	must(t, err)
	_, err = db.SessionUser(ctx, first)
	must(t, err)
	var recent int
	must(t, conn.QueryRow(ctx, "SELECT count(*) FROM sessions WHERE last_seen > now() - interval '1 minute'").Scan(&recent))
	if recent != 1 {
		t.Errorf("%d sessions seen in the last minute, want the one used", recent)
	}

	// Sign-out ends one session; sign-out everywhere the rest.
	must(t, db.EndSession(ctx, first))
	_, err = db.SessionUser(ctx, first)
	wantCode(t, err, fireline.EUNAUTHORIZED)
	_, err = db.SessionUser(ctx, second)
	must(t, err)
	must(t, db.EndSession(ctx, "not-a-token"))
	n, err := db.EndSessions(ctx, "operator")
	must(t, err)
	if n != 1 {
		t.Errorf("EndSessions ended %d, want 1", n)
	}
	_, err = db.SessionUser(ctx, second)
	wantCode(t, err, fireline.EUNAUTHORIZED)
	_, err = db.EndSessions(ctx, "nobody")
	wantCode(t, err, fireline.ENOTFOUND)
	_, err = db.Sessions(ctx, "nobody")
	wantCode(t, err, fireline.ENOTFOUND)
}

func TestLoginLockout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	policy := fireline.LoginPolicy{MaxFailures: 3, LockFor: time.Minute, MaxLock: 30 * time.Minute}
	db.SetLoginPolicy(policy)
	_, err := db.CreateUser(ctx, fireline.NewUser{Username: "operator", Role: fireline.RoleOperator, Password: goodPassword})
	must(t, err)
	conn := sqlConn(t, url)
	failures := func(name string) (n int) {
		t.Helper()
		err := conn.QueryRow(ctx, "SELECT coalesce((SELECT failures FROM login_failures WHERE username = $1), 0)", name).Scan(&n)
		must(t, err)
		return n
	}

	for _, name := range []string{"operator", "nobody"} { // unknown names lock the same way
		for i := 1; i < policy.MaxFailures; i++ {
			_, err := db.Authenticate(ctx, name, "guess")
			wantCode(t, err, fireline.EUNAUTHORIZED)
		}
		_, err := db.Authenticate(ctx, name, "guess")
		wantCode(t, err, fireline.ELOCKED)
		if after, ok := fireline.RetryAfter(err); !ok || after != time.Minute {
			t.Errorf("%s: retry after %v, %v; want 1m", name, after, ok)
		}
		if n := failures(name); n != policy.MaxFailures {
			t.Errorf("%s: %d failures recorded, want %d", name, n, policy.MaxFailures)
		}
	}

	// The lock is in the database: another node refuses even the right password.
	other, err := postgres.Open(ctx, url, nil)
	must(t, err)
	t.Cleanup(other.Close)
	_, err = other.Authenticate(ctx, "operator", goodPassword)
	wantCode(t, err, fireline.ELOCKED)
	a, err := db.Account(ctx, "operator")
	must(t, err)
	if a.LockedUntil == nil {
		t.Error("account shows no lock")
	}

	// Once the lock runs out, one more failure locks for twice as long.
	_, err = conn.Exec(ctx, "UPDATE login_failures SET locked_until = now() - interval '1 second'")
	must(t, err)
	_, err = db.Authenticate(ctx, "operator", "guess")
	if after, _ := fireline.RetryAfter(err); fireline.ErrorCode(err) != fireline.ELOCKED || after != 2*time.Minute {
		t.Errorf("failure after the lock: %v (retry after %v), want locked for 2m", err, after)
	}

	// A success resets the count.
	_, err = conn.Exec(ctx, "UPDATE login_failures SET locked_until = now() - interval '1 second'")
	must(t, err)
	_, err = db.Authenticate(ctx, "operator", goodPassword)
	must(t, err)
	if n := failures("operator"); n != 0 {
		t.Errorf("%d failures after a success, want 0", n)
	}
	_, err = db.Authenticate(ctx, "operator", "guess")
	wantCode(t, err, fireline.EUNAUTHORIZED)

	// An administrator's reset lifts a lock.
	for range policy.MaxFailures {
		_, _ = db.Authenticate(ctx, "operator", "guess")
	}
	must(t, db.SetPassword(ctx, "operator", "a reset passphrase"))
	_, err = db.Authenticate(ctx, "operator", "a reset passphrase")
	must(t, err)
}
