package postgres_test

import (
	"context"
	"testing"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

func TestDirectoryUser(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	if err := db.SeedUsers(ctx, []postgres.UserSeed{{Username: "local-admin", Password: "a local password", Role: fireline.RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	const iss = "https://directory.example"
	jane := fireline.DirectoryIdentity{Issuer: iss, Subject: "sub-1", Username: "jane", Role: fireline.RoleOperator}

	u, err := db.DirectoryUser(ctx, jane)
	if err != nil || u != (fireline.User{Username: "jane", Role: fireline.RoleOperator}) {
		t.Fatalf("first sign-in: %+v, %v", u, err)
	}
	// The directory moved her to the supervisors' group: the next sign-in brings the role.
	jane.Role = fireline.RoleSupervisor
	if u, err = db.DirectoryUser(ctx, jane); err != nil || u.Role != fireline.RoleSupervisor {
		t.Fatalf("second sign-in: %+v, %v", u, err)
	}
	// Her session sees the new role at once, as sessions read the user's row.
	tok, err := db.CreateSession(ctx, u, 3600e9)
	if err != nil {
		t.Fatal(err)
	}
	if su, err := db.SessionUser(ctx, tok); err != nil || su.Role != fireline.RoleSupervisor {
		t.Fatalf("session user: %+v, %v", su, err)
	}
	// A directory user has no password to sign in with.
	if _, err := db.Authenticate(ctx, "jane", "!directory"); fireline.ErrorCode(err) != fireline.EUNAUTHORIZED {
		t.Fatalf("password sign-in of a directory user: %v", err)
	}

	for name, id := range map[string]fireline.DirectoryIdentity{
		// Whoever the directory calls local-admin does not become the local administrator.
		"local name":      {Issuer: iss, Subject: "sub-2", Username: "local-admin", Role: fireline.RoleAdmin},
		"another subject": {Issuer: iss, Subject: "sub-3", Username: "jane", Role: fireline.RoleAdmin},
		"another issuer":  {Issuer: "https://other.example", Subject: "sub-1", Username: "jane", Role: fireline.RoleAdmin},
		"renamed":         {Issuer: iss, Subject: "sub-1", Username: "jane.doe", Role: fireline.RoleOperator},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := db.DirectoryUser(ctx, id)
			wantCode(t, err, fireline.ECONFLICT)
		})
	}
	if u, err := db.Authenticate(ctx, "local-admin", "a local password"); err != nil || u.Role != fireline.RoleAdmin {
		t.Fatalf("the local administrator after the attempts: %+v, %v", u, err)
	}
	if su, err := db.SessionUser(ctx, tok); err != nil || su.Role != fireline.RoleSupervisor {
		t.Fatalf("jane after the attempts: %+v, %v", su, err)
	}

	// An administrator disables her: the directory still vouches for her, Fireline does not.
	yes := true
	if _, err := db.UpdateUser(ctx, "jane", fireline.UserUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DirectoryUser(ctx, jane); fireline.ErrorCode(err) != fireline.EFORBIDDEN {
		t.Fatalf("a disabled directory user signed in: %v", err)
	}

	for name, id := range map[string]fireline.DirectoryIdentity{
		"no group":     {Issuer: iss, Subject: "sub-4", Username: "bob"},
		"field":        {Issuer: iss, Subject: "sub-4", Username: "bob", Role: fireline.RoleField},
		"gateway":      {Issuer: iss, Subject: "sub-4", Username: "bob", Role: fireline.RoleGateway},
		"no username":  {Issuer: iss, Subject: "sub-4", Role: fireline.RoleOperator},
		"spaced name":  {Issuer: iss, Subject: "sub-4", Username: "bob smith", Role: fireline.RoleOperator},
		"no subject":   {Issuer: iss, Username: "bob", Role: fireline.RoleOperator},
		"unknown role": {Issuer: iss, Subject: "sub-4", Username: "bob", Role: "chief"},
		// Names that would mislead in the audit log and the rate limiter, or break URLs.
		"key-like name": {Issuer: iss, Subject: "sub-4", Username: "apikey:7", Role: fireline.RoleOperator},
		"slash in name": {Issuer: iss, Subject: "sub-4", Username: "ops/bob", Role: fireline.RoleOperator},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := db.DirectoryUser(ctx, id); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
