package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
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

// SetLoginPolicy sets how failed logins lock a username out; Open sets
// fireline.DefaultLoginPolicy. Call it before the DB is shared.
func (db *DB) SetLoginPolicy(p fireline.LoginPolicy) { db.login = p }

// Authenticate returns the user whose username and password these are. A wrong username or
// password is the same EUNAUTHORIZED "wrong username or password", and counts as a failure of
// that username whether or not it exists (login_failures): after LoginPolicy.MaxFailures in a
// row the username is locked (ELOCKED with a retry time) on every node, and a success resets
// the count. A disabled account with the right password is told so (EFORBIDDEN).
func (db *DB) Authenticate(ctx context.Context, username, password string) (fireline.User, error) {
	var (
		u        fireline.User
		hash     *string
		disabled *bool
		lockSecs *float64
	)
	err := db.pool.QueryRow(ctx, `
		SELECT coalesce(u.username, ''), coalesce(u.role, ''), coalesce(u.unit_id, ''), u.password_hash, u.disabled,
		       extract(epoch FROM f.locked_until - now())::float8
		FROM (SELECT $1::text AS name) q
		LEFT JOIN users u ON u.username = q.name
		LEFT JOIN login_failures f ON f.username = q.name AND f.locked_until > now()`,
		username).Scan(&u.Username, &u.Role, &u.UnitID, &hash, &disabled, &lockSecs)
	if err != nil {
		return fireline.User{}, translate("authenticate", err)
	}
	if lockSecs != nil {
		return fireline.User{}, errLocked(time.Duration(*lockSecs * float64(time.Second)))
	}
	if hash == nil {
		if _, err := checkPassword(ctx, dummyHash, password); err != nil {
			return fireline.User{}, err
		}
		return fireline.User{}, db.loginFailed(ctx, username)
	}
	switch ok, err := checkPassword(ctx, *hash, password); {
	case err != nil:
		return fireline.User{}, err
	case !ok:
		return fireline.User{}, db.loginFailed(ctx, username)
	}
	if *disabled {
		return fireline.User{}, fireline.Errorf(fireline.EFORBIDDEN, "account %s is disabled; ask an administrator", username)
	}
	if _, err := db.pool.Exec(ctx, "DELETE FROM login_failures WHERE username = $1", username); err != nil {
		return fireline.User{}, translate("authenticate: reset failures", err)
	}
	return u, nil
}

// passwordChecks bounds the bcrypt comparisons running at once to half the processor: each
// takes tens of milliseconds of CPU, and a crowd of crews signing in during a surge of alarms
// (a shift change, a station's tablets reconnecting) took whole cores from intake while it
// lasted. Sign-ins beyond it queue.
var passwordChecks = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// checkPassword says whether password matches the bcrypt hash, once a place among
// passwordChecks is free; an error only when ctx ends first.
func checkPassword(ctx context.Context, hash, password string) (bool, error) {
	select {
	case passwordChecks <- struct{}{}:
	case <-ctx.Done():
		return false, fireline.Errorf(fireline.EUNAVAILABLE, "authenticate: %v", ctx.Err())
	}
	defer func() { <-passwordChecks }()
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil, nil
}

// errLocked says how long a username stays locked, rounded up to the second.
func errLocked(d time.Duration) error {
	secs := max(1, int((d+time.Second-1)/time.Second))
	return &fireline.RetryError{
		Err:   fireline.Errorf(fireline.ELOCKED, "too many failed logins: this username is locked for %d more seconds", secs),
		After: time.Duration(secs) * time.Second,
	}
}

// loginFailed counts a failed login of username and returns the error to answer: the plain
// wrong login, or the lock when this failure locks the username. Names nobody has tried for
// a day are swept on the way, which bounds the table by a day of attempts.
func (db *DB) loginFailed(ctx context.Context, username string) error {
	var failures int
	err := db.pool.QueryRow(ctx, `
		WITH swept AS (
			DELETE FROM login_failures
			WHERE last_failure < now() - interval '1 day' AND coalesce(locked_until, '-infinity') < now() AND username <> $1)
		INSERT INTO login_failures (username, failures, last_failure) VALUES ($1, 1, now())
		ON CONFLICT (username) DO UPDATE SET failures = login_failures.failures + 1, last_failure = now()
		RETURNING failures`, username).Scan(&failures)
	if err != nil {
		return translate("authenticate: count failure", err)
	}
	lock := db.login.LockDuration(failures)
	if lock <= 0 {
		return errWrongLogin()
	}
	_, err = db.pool.Exec(ctx, "UPDATE login_failures SET locked_until = now() + make_interval(secs => $2) WHERE username = $1",
		username, lock.Seconds())
	if err != nil {
		return translate("authenticate: lock", err)
	}
	db.log.Warn("username locked after failed logins", "username", username, "failures", failures, "for", lock)
	return errLocked(lock)
}

// CreateSession starts a session for u lasting ttl and returns its bearer token; it is
// StartSession without a client to record.
func (db *DB) CreateSession(ctx context.Context, u fireline.User, ttl time.Duration) (string, error) {
	return db.StartSession(ctx, u, fireline.SessionInfo{TTL: ttl})
}

// StartSession starts a session for u and returns its bearer token: 32 random bytes,
// base64url. Only the token's SHA-256 is stored. The user's expired sessions are swept on the
// way, which keeps the table as small as the number of live sessions.
func (db *DB) StartSession(ctx context.Context, u fireline.User, info fireline.SessionInfo) (string, error) {
	if info.TTL <= 0 {
		return "", fireline.Errorf(fireline.EINVALID, "session ttl must be positive, not %s", info.TTL)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	agent := strings.ToValidUTF8(info.UserAgent, "")
	if len(agent) > fireline.MaxUserAgent {
		agent = strings.ToValidUTF8(agent[:fireline.MaxUserAgent], "")
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	_, err := db.pool.Exec(ctx, `
		WITH swept AS (DELETE FROM sessions WHERE username = $2 AND expires_at <= now())
		INSERT INTO sessions (token_hash, username, expires_at, remote_addr, user_agent)
		VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5)`,
		tokenHash(token), u.Username, info.TTL.Seconds(), info.RemoteAddr, agent)
	if pgCode(err) == codeForeignKeyViolation {
		return "", notFound("user %s does not exist", u.Username)
	}
	if err != nil {
		return "", translate("create session", err)
	}
	return token, nil
}

// SessionUser returns the user of a live session; EUNAUTHORIZED when the token is unknown,
// its session has expired or its user is disabled. It notes when the session was last seen,
// at most once a minute, so reading a session rarely writes.
func (db *DB) SessionUser(ctx context.Context, token string) (fireline.User, error) {
	var u fireline.User
	err := db.pool.QueryRow(ctx, `
		WITH live AS (
			SELECT u.username, u.role, coalesce(u.unit_id, '') AS unit_id
			FROM sessions s JOIN users u USING (username)
			WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled),
		touched AS (
			UPDATE sessions SET last_seen = now()
			WHERE token_hash = $1 AND last_seen < now() - interval '1 minute' AND EXISTS (SELECT FROM live))
		SELECT username, role, unit_id FROM live`, tokenHash(token)).Scan(&u.Username, &u.Role, &u.UnitID)
	if noRows(err) {
		return fireline.User{}, fireline.Errorf(fireline.EUNAUTHORIZED, "not signed in, or the session has expired")
	}
	if err != nil {
		return fireline.User{}, translate("session user", err)
	}
	return u, nil
}

// EndSession ends the session of token: a sign-out. An unknown token has nothing to end.
func (db *DB) EndSession(ctx context.Context, token string) error {
	_, err := db.pool.Exec(ctx, "DELETE FROM sessions WHERE token_hash = $1", tokenHash(token))
	return translate("end session", err)
}

// EndSessions ends every session of username and says how many there were; ENOTFOUND when
// there is no such user.
func (db *DB) EndSessions(ctx context.Context, username string) (int, error) {
	var n int
	var exists bool
	err := db.pool.QueryRow(ctx, `
		WITH ended AS (DELETE FROM sessions WHERE username = $1 RETURNING 1)
		SELECT (SELECT count(*) FROM ended), EXISTS (SELECT FROM users WHERE username = $1)`, username).Scan(&n, &exists)
	if err != nil {
		return 0, translate("end sessions", err)
	}
	if !exists {
		return 0, notFound("user %s does not exist", username)
	}
	return n, nil
}

// Sessions lists username's live sessions, newest first; ENOTFOUND when there is no such user.
func (db *DB) Sessions(ctx context.Context, username string) ([]fireline.Session, error) {
	if _, err := db.Account(ctx, username); err != nil {
		return nil, err
	}
	rows, _ := db.pool.Query(ctx, `
		SELECT id, username, created_at, last_seen, expires_at, remote_addr, user_agent
		FROM sessions WHERE username = $1 AND expires_at > now()
		ORDER BY created_at DESC, id DESC`, username)
	sessions, err := pgx.CollectRows(rows, pgx.RowToStructByPos[fireline.Session])
	if err != nil {
		return nil, translate("sessions", err)
	}
	return sessions, nil
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
