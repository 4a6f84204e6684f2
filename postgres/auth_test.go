package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fireline/fireline"
	"github.com/fireline/fireline/postgres"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := cityDB(t)
	seeds := []postgres.UserSeed{
		{Username: "operator", Password: "secret", Role: fireline.RoleOperator},
		{Username: "crew-E1", Password: "secret", Role: fireline.RoleField, UnitID: "E1"},
	}
	for i := range 20 {
		seeds = append(seeds, postgres.UserSeed{Username: fmt.Sprintf("crew-%d", i), Password: "secret", Role: fireline.RoleField, UnitID: "L1"})
	}
	must(t, db.SeedUsers(ctx, seeds))
	conn := sqlConn(t, url)
	hashes := func() (distinct int, operator string) {
		must(t, conn.QueryRow(ctx, "SELECT count(DISTINCT password_hash), max(password_hash) FILTER (WHERE username = 'operator') FROM users").
			Scan(&distinct, &operator))
		return distinct, operator
	}
	if n, _ := hashes(); n != 1 {
		t.Errorf("%d distinct hashes for one shared password, want 1 (hashed once per call)", n)
	}

	u, err := db.Authenticate(ctx, "crew-E1", "secret")
	must(t, err)
	if u != (fireline.User{Username: "crew-E1", Role: fireline.RoleField, UnitID: "E1"}) {
		t.Errorf("Authenticate = %+v", u)
	}
	_, errPw := db.Authenticate(ctx, "operator", "wrong")
	_, errUser := db.Authenticate(ctx, "nobody", "secret")
	wantCode(t, errPw, fireline.EUNAUTHORIZED)
	wantCode(t, errUser, fireline.EUNAUTHORIZED)
	if fireline.ErrorMessage(errPw) != fireline.ErrorMessage(errUser) {
		t.Errorf("wrong password %q and unknown user %q must read the same", fireline.ErrorMessage(errPw), fireline.ErrorMessage(errUser))
	}

	op := fireline.User{Username: "operator", Role: fireline.RoleOperator}
	token, err := db.CreateSession(ctx, op, time.Hour)
	must(t, err)
	if len(token) != 43 { // 32 bytes, base64url without padding
		t.Errorf("token %q: length %d, want 43", token, len(token))
	}
	got, err := db.SessionUser(ctx, token)
	must(t, err)
	if got != op {
		t.Errorf("SessionUser = %+v, want %+v", got, op)
	}
	var stored int
	must(t, conn.QueryRow(ctx, "SELECT count(*) FROM sessions WHERE token_hash = convert_to($1, 'UTF8')", token).Scan(&stored))
	if stored != 0 {
		t.Error("the token itself is stored; only its hash may be")
	}
	_, err = db.SessionUser(ctx, "not-a-token")
	wantCode(t, err, fireline.EUNAUTHORIZED)

	short, err := db.CreateSession(ctx, op, time.Millisecond)
	must(t, err)
	time.Sleep(20 * time.Millisecond)
	_, err = db.SessionUser(ctx, short)
	wantCode(t, err, fireline.EUNAUTHORIZED)
	_, err = db.CreateSession(ctx, op, 0)
	wantCode(t, err, fireline.EINVALID)

	t.Run("reseed unchanged keeps hash and sessions", func(t *testing.T) {
		_, before := hashes()
		start := time.Now()
		must(t, db.SeedUsers(ctx, seeds))
		t.Logf("re-seeding %d users took %s", len(seeds), time.Since(start))
		if _, after := hashes(); after != before {
			t.Error("an unchanged password was hashed again")
		}
		if _, err := db.SessionUser(ctx, token); err != nil {
			t.Errorf("session lost on an unchanged re-seed: %v", err)
		}
	})

	t.Run("reseed with a new password", func(t *testing.T) {
		changed := []postgres.UserSeed{{Username: "operator", Password: "new secret", Role: fireline.RoleSupervisor}}
		must(t, db.SeedUsers(ctx, changed))
		_, err := db.Authenticate(ctx, "operator", "secret")
		wantCode(t, err, fireline.EUNAUTHORIZED)
		u, err := db.Authenticate(ctx, "operator", "new secret")
		must(t, err)
		if u.Role != fireline.RoleSupervisor {
			t.Errorf("role %s, want supervisor", u.Role)
		}
		_, err = db.SessionUser(ctx, token)
		wantCode(t, err, fireline.EUNAUTHORIZED)
	})

	t.Run("invalid seeds", func(t *testing.T) {
		for _, s := range []postgres.UserSeed{
			{Username: "", Password: "x", Role: fireline.RoleAdmin},
			{Username: "a", Password: "", Role: fireline.RoleAdmin},
			{Username: "a", Password: "x", Role: "king"},
			{Username: "a", Password: "x", Role: fireline.RoleField},
			{Username: "a", Password: "x", Role: fireline.RoleAdmin, UnitID: "E1"},
			{Username: "a", Password: "x", Role: fireline.RoleField, UnitID: "nope"},
		} {
			wantCode(t, db.SeedUsers(ctx, []postgres.UserSeed{s}), fireline.EINVALID)
		}
	})
}
