package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fireline/fireline"
)

// DB keeps the alarm sources' API keys.
var _ fireline.APIKeyStore = (*DB)(nil)

// #nosec G101 -- a column list: no secret is stored, only the key's SHA-256 (not among these).
const apiKeyColumns = `id, name, source, source_id_prefix, created_at, created_by, revoked_at, coalesce(revoked_by, ''), last_used_at`

// apiKeyRow is an api_keys row in apiKeyColumns' order.
type apiKeyRow struct {
	ID             int64
	Name           string
	Source         string
	SourceIDPrefix string
	CreatedAt      time.Time
	CreatedBy      string
	RevokedAt      *time.Time
	RevokedBy      string
	LastUsedAt     *time.Time
}

func (r apiKeyRow) key() fireline.APIKey {
	return fireline.APIKey{ID: r.ID, Name: r.Name, Source: fireline.AlarmSource(r.Source), SourceIDPrefix: r.SourceIDPrefix,
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, RevokedAt: r.RevokedAt, RevokedBy: r.RevokedBy, LastUsedAt: r.LastUsedAt}
}

// CreateAPIKey validates k and stores a new key; the secret (fireline.APIKeyPrefix and 32
// random bytes, base64url) is returned this once and only its SHA-256 is stored.
func (db *DB) CreateAPIKey(ctx context.Context, k fireline.NewAPIKey, actor string) (fireline.APIKey, string, error) {
	if err := checkActor(actor); err != nil {
		return fireline.APIKey{}, "", err
	}
	k.Name = strings.TrimSpace(k.Name)
	if err := k.Validate(); err != nil {
		return fireline.APIKey{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fireline.APIKey{}, "", fmt.Errorf("create API key: %w", err)
	}
	secret := fireline.APIKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	rows, _ := db.pool.Query(ctx, `
		INSERT INTO api_keys (name, source, source_id_prefix, secret_sha256, created_by)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+apiKeyColumns, k.Name, k.Source, k.SourceIDPrefix, tokenHash(secret), actor)
	row, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[apiKeyRow])
	if pgCode(err) == codeUniqueViolation {
		return fireline.APIKey{}, "", fireline.Errorf(fireline.ECONFLICT, "a live API key is already named %s; revoke it or choose another name", k.Name)
	}
	if err != nil {
		return fireline.APIKey{}, "", translate("create API key", err)
	}
	return row.key(), secret, nil
}

// APIKeys lists every key, revoked ones too, newest first.
func (db *DB) APIKeys(ctx context.Context) ([]fireline.APIKey, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+apiKeyColumns+" FROM api_keys ORDER BY id DESC")
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[apiKeyRow])
	if err != nil {
		return nil, translate("API keys", err)
	}
	out := make([]fireline.APIKey, len(list))
	for i, r := range list {
		out[i] = r.key()
	}
	return out, nil
}

// RevokeAPIKey revokes a key for good; a key revoked before keeps its first revocation.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64, actor string) (fireline.APIKey, error) {
	if err := checkActor(actor); err != nil {
		return fireline.APIKey{}, err
	}
	rows, _ := db.pool.Query(ctx, `
		UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2)
		WHERE id = $1
		RETURNING `+apiKeyColumns, id, actor)
	row, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[apiKeyRow])
	if noRows(err) {
		return fireline.APIKey{}, notFound("API key %d does not exist", id)
	}
	if err != nil {
		return fireline.APIKey{}, translate("revoke API key", err)
	}
	return row.key(), nil
}

// apiKeyUseResolution is how often last_used_at is written: a gateway posting many alarms a
// second does not write the key's row on each.
const apiKeyUseResolution = time.Minute

// APIKeyBySecret is the live key of a secret; EUNAUTHORIZED when it is unknown or revoked. It
// notes the use in last_used_at, at most once a minute.
func (db *DB) APIKeyBySecret(ctx context.Context, secret string) (fireline.APIKey, error) {
	rows, _ := db.pool.Query(ctx, `
		WITH k AS (SELECT `+apiKeyColumns+` FROM api_keys WHERE secret_sha256 = $1),
		used AS (
			UPDATE api_keys SET last_used_at = now()
			WHERE id = (SELECT id FROM k) AND revoked_at IS NULL
			  AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))
		)
		SELECT * FROM k`, tokenHash(secret), apiKeyUseResolution.Seconds())
	row, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[apiKeyRow])
	switch {
	case noRows(err):
		return fireline.APIKey{}, fireline.Errorf(fireline.EUNAUTHORIZED, "unknown API key")
	case err != nil:
		return fireline.APIKey{}, translate("API key", err)
	case row.RevokedAt != nil:
		return fireline.APIKey{}, fireline.Errorf(fireline.EUNAUTHORIZED, "API key %s was revoked at %s", row.Name, row.RevokedAt.UTC().Format(time.RFC3339))
	}
	return row.key(), nil
}
