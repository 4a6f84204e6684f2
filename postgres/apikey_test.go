package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fireline/fireline"
)

// TestAPIKeys: a key is created with its secret shown once and only its hash stored, signs in
// as its source's gateway until revoked, is listed with who made and revoked it, and notes
// when it was last used.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := newDB(t)
	conn := sqlConn(t, url)

	k, secret, err := db.CreateAPIKey(ctx, fireline.NewAPIKey{Name: " chem-park panels ", Source: fireline.SourceIoT, SourceIDPrefix: "FAP-CHEM-"}, "admin")
	must(t, err)
	if !strings.HasPrefix(secret, fireline.APIKeyPrefix) || len(secret) != len(fireline.APIKeyPrefix)+43 {
		t.Errorf("secret %q: want flk_ and 32 bytes base64url", secret)
	}
	if k.ID == 0 || k.Name != "chem-park panels" || k.Source != fireline.SourceIoT || k.SourceIDPrefix != "FAP-CHEM-" ||
		k.CreatedBy != "admin" || k.RevokedAt != nil || k.LastUsedAt != nil || k.CreatedAt.IsZero() {
		t.Errorf("created %+v", k)
	}
	var plain int
	must(t, conn.QueryRow(ctx, "SELECT count(*) FROM api_keys WHERE position(convert_to($1, 'UTF8') IN secret_sha256) > 0 OR name = $1", secret).Scan(&plain))
	if plain != 0 {
		t.Error("the secret itself is stored; only its hash may be")
	}

	got, err := db.APIKeyBySecret(ctx, secret)
	must(t, err)
	if got.ID != k.ID || got.User() != (fireline.User{Username: "apikey:chem-park panels", Role: fireline.RoleGateway}) ||
		got.Grant() != (fireline.AlarmGrant{Key: "chem-park panels", Source: fireline.SourceIoT, SourceIDPrefix: "FAP-CHEM-"}) {
		t.Errorf("by secret %+v", got)
	}
	var used *time.Time
	must(t, conn.QueryRow(ctx, "SELECT last_used_at FROM api_keys WHERE id = $1", k.ID).Scan(&used))
	if used == nil {
		t.Error("last_used_at not written on use")
	}
	_, err = db.APIKeyBySecret(ctx, fireline.APIKeyPrefix+"not-a-key")
	wantCode(t, err, fireline.EUNAUTHORIZED)

	for _, bad := range []struct {
		k    fireline.NewAPIKey
		code string
	}{
		{fireline.NewAPIKey{Name: "", Source: fireline.SourceIoT}, fireline.EINVALID},
		{fireline.NewAPIKey{Name: "calls", Source: fireline.SourceCall}, fireline.EINVALID},
		{fireline.NewAPIKey{Name: "x", Source: fireline.SourceIoT, SourceIDPrefix: "a\nb"}, fireline.EINVALID},
		{fireline.NewAPIKey{Name: "chem-park panels", Source: fireline.SourceLampPost}, fireline.ECONFLICT},
	} {
		_, _, err := db.CreateAPIKey(ctx, bad.k, "admin")
		wantCode(t, err, bad.code)
	}
	_, _, err = db.CreateAPIKey(ctx, fireline.NewAPIKey{Name: "nobody's", Source: fireline.SourceIoT}, "")
	wantCode(t, err, fireline.EINVALID)

	feed, _, err := db.CreateAPIKey(ctx, fireline.NewAPIKey{Name: "weather bureau", Source: fireline.SourceCAP}, "admin")
	must(t, err)
	revoked, err := db.RevokeAPIKey(ctx, k.ID, "admin2")
	must(t, err)
	if revoked.RevokedAt == nil || revoked.RevokedBy != "admin2" {
		t.Errorf("revoked %+v", revoked)
	}
	again, err := db.RevokeAPIKey(ctx, k.ID, "admin3")
	must(t, err)
	if !again.RevokedAt.Equal(*revoked.RevokedAt) || again.RevokedBy != "admin2" {
		t.Errorf("revoked again %+v: the first revocation must stand", again)
	}
	_, err = db.APIKeyBySecret(ctx, secret)
	wantCode(t, err, fireline.EUNAUTHORIZED)
	if !strings.Contains(fireline.ErrorMessage(err), "revoked") {
		t.Errorf("a revoked key: %q should say so", fireline.ErrorMessage(err))
	}
	_, err = db.RevokeAPIKey(ctx, 9999, "admin")
	wantCode(t, err, fireline.ENOTFOUND)

	// A revoked key's name may be given to its replacement.
	_, _, err = db.CreateAPIKey(ctx, fireline.NewAPIKey{Name: "chem-park panels", Source: fireline.SourceIoT}, "admin")
	must(t, err)
	list, err := db.APIKeys(ctx)
	must(t, err)
	if len(list) != 3 || list[1].ID != feed.ID || list[2].ID != k.ID || list[2].RevokedAt == nil || list[2].LastUsedAt == nil {
		t.Errorf("list %+v", list)
	}
}
