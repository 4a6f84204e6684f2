package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/fireline/fireline"
)

// dummyHash is a bcrypt hash of a random string nobody knows. Authenticate checks passwords of
// unknown users against it so that a wrong username costs as long as a wrong password, and
// response times do not tell which usernames exist.
const dummyHash = "$2a$10$4hd7Du8q8OwtDUn181qRcOtitL6pfDrRS9lWnU5enmEZHxeY5f6ha"

func errWrongLogin() error {
	return fireline.Errorf(fireline.EUNAUTHORIZED, "wrong username or password")
}

// Authenticate returns the user whose username and password these are. Whatever is wrong, the
// answer is the same EUNAUTHORIZED "wrong username or password".
func (db *DB) Authenticate(ctx context.Context, username, password string) (fireline.User, error) {
	var u fireline.User
	var hash string
	err := db.pool.QueryRow(ctx, "SELECT username, role, coalesce(unit_id, ''), password_hash FROM users WHERE username = $1",
		username).Scan(&u.Username, &u.Role, &u.UnitID, &hash)
	switch {
	case noRows(err):
		_ = bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte(password))
		return fireline.User{}, errWrongLogin()
	case err != nil:
		return fireline.User{}, translate("authenticate", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return fireline.User{}, errWrongLogin()
	}
	return u, nil
}

// CreateSession starts a session for u lasting ttl and returns its bearer token: 32 random
// bytes, base64url. Only the token's SHA-256 is stored. The user's expired sessions are swept
// on the way, which keeps the table as small as the number of live sessions.
func (db *DB) CreateSession(ctx context.Context, u fireline.User, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fireline.Errorf(fireline.EINVALID, "session ttl must be positive, not %s", ttl)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	_, err := db.pool.Exec(ctx, `
		WITH swept AS (DELETE FROM sessions WHERE username = $2 AND expires_at <= now())
		INSERT INTO sessions (token_hash, username, expires_at)
		VALUES ($1, $2, now() + make_interval(secs => $3))`,
		tokenHash(token), u.Username, ttl.Seconds())
	if pgCode(err) == codeForeignKeyViolation {
		return "", notFound("user %s does not exist", u.Username)
	}
	if err != nil {
		return "", translate("create session", err)
	}
	return token, nil
}

// SessionUser returns the user of a live session; EUNAUTHORIZED when the token is unknown or
// its session has expired.
func (db *DB) SessionUser(ctx context.Context, token string) (fireline.User, error) {
	var u fireline.User
	err := db.pool.QueryRow(ctx, `
		SELECT u.username, u.role, coalesce(u.unit_id, '')
		FROM sessions s JOIN users u USING (username)
		WHERE s.token_hash = $1 AND s.expires_at > now()`, tokenHash(token)).Scan(&u.Username, &u.Role, &u.UnitID)
	if noRows(err) {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "not signed in, or the session has expired")
	}
	if err != nil {
		return fireline.User{}, translate("session user", err)
	}
	return u, nil
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// UserSeed is a login to create or update.
type UserSeed struct {
	Username string
	Password string
	Role     fireline.Role
	// UnitID is the unit a field user crews; empty for every other role.
	UnitID string
}

// SeedUsers creates or updates the given users in one transaction. A user whose stored hash
// already matches the seed's password keeps it, and sessions survive; a changed password ends
// the user's sessions.
//
// bcrypt is slow on purpose (about 60 ms a hash) and the demo seeds about fifty crews with one
// password on every start, so the work is shared: each distinct password is hashed once per
// call and the hash reused for every seed with that password (those users share a salt, which
// reveals only that their passwords are equal, as they are), and each distinct (stored hash,
// password) pair is checked once. A fresh database costs one hash; a restart, one check.
func (db *DB) SeedUsers(ctx context.Context, seeds []UserSeed) error {
	names := make([]string, 0, len(seeds))
	seen := make(map[string]bool, len(seeds))
	for _, s := range seeds {
		switch {
		case s.Username == "":
			return fireline.Errorf(fireline.EINVALID, "user seed: username is required")
		case seen[s.Username]:
			return fireline.Errorf(fireline.EINVALID, "user %s: seeded twice", s.Username)
		case s.Password == "":
			return fireline.Errorf(fireline.EINVALID, "user %s: password is required", s.Username)
		case !s.Role.Valid():
			return fireline.Errorf(fireline.EINVALID, "user %s: %q is not a role", s.Username, s.Role)
		case (s.Role == fireline.RoleField) != (s.UnitID != ""):
			return fireline.Errorf(fireline.EINVALID, "user %s: field users, and only they, name their unit", s.Username)
		}
		seen[s.Username] = true
		names = append(names, s.Username)
	}
	return db.inTx(ctx, "seed users", func(tx pgx.Tx) error {
		type login struct{ Username, Hash string }
		rows, _ := tx.Query(ctx, "SELECT username, password_hash FROM users WHERE username = ANY($1) FOR UPDATE", names)
		logins, err := pgx.CollectRows(rows, pgx.RowToStructByPos[login])
		if err != nil {
			return translate("seed users: read", err)
		}
		stored := make(map[string]string, len(logins))
		for _, l := range logins {
			stored[l.Username] = l.Hash
		}
		type pair struct{ hash, password string }
		matches := make(map[pair]bool)   // (stored hash, password) → verified
		fresh := make(map[string]string) // password → the hash made for it in this call
		var roles, units, hashes, changed []string
		for _, s := range seeds {
			hash, ok := stored[s.Username]
			if ok {
				p := pair{hash, s.Password}
				m, checked := matches[p]
				if !checked {
					m = bcrypt.CompareHashAndPassword([]byte(hash), []byte(s.Password)) == nil
					matches[p] = m
				}
				if !m {
					ok = false
					changed = append(changed, s.Username)
				}
			}
			if !ok {
				if hash, ok = fresh[s.Password]; !ok {
					b, err := bcrypt.GenerateFromPassword([]byte(s.Password), bcrypt.DefaultCost)
					if err != nil {
						return fireline.Errorf(fireline.EINVALID, "user %s: password: %v", s.Username, err)
					}
					hash = string(b)
					fresh[s.Password] = hash
				}
			}
			roles = append(roles, string(s.Role))
			units = append(units, s.UnitID)
			hashes = append(hashes, hash)
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO users (username, password_hash, role, unit_id)
			SELECT u, h, r, nullif(n, '') FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS s (u, h, r, n)
			ON CONFLICT (username) DO UPDATE
			SET password_hash = excluded.password_hash, role = excluded.role, unit_id = excluded.unit_id
			WHERE (users.password_hash, users.role, users.unit_id)
			      IS DISTINCT FROM (excluded.password_hash, excluded.role, excluded.unit_id)`,
			names, hashes, roles, units)
		if pgCode(err) == codeForeignKeyViolation {
			return fireline.Errorf(fireline.EINVALID, "user seeds name a unit that does not exist")
		}
		if err != nil {
			return translate("seed users", err)
		}
		if len(changed) > 0 {
			if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE username = ANY($1)", changed); err != nil {
				return translate("seed users: end sessions", err)
			}
		}
		return nil
	})
}
