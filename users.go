package fireline

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Account is a user as administrators manage it: the User every request carries, and what an
// administrator needs to see beside it.
type Account struct {
	User
	// Disabled accounts cannot sign in and have no sessions.
	Disabled          bool      `json:"disabled"`
	CreatedAt         time.Time `json:"created_at"`
	PasswordChangedAt time.Time `json:"password_changed_at"`
	// LockedUntil is set while failed logins lock the username out.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
}

// NewUser is an account to create.
type NewUser struct {
	Username string `json:"username"`
	Role     Role   `json:"role"`
	// UnitID is the unit a field user crews; empty for every other role.
	UnitID   string `json:"unit_id,omitempty"`
	Password string `json:"password"`
}

// Validate names the first field that cannot be: the username (ValidateUsername), the role,
// the unit (field users, and only they, name one) and the password (ValidatePassword).
func (n NewUser) Validate() error {
	if err := ValidateUsername(n.Username); err != nil {
		return err
	}
	if err := validateRoleUnit(n.Role, n.UnitID); err != nil {
		return err
	}
	return ValidatePassword(n.Username, n.Password)
}

func validateRoleUnit(r Role, unit string) error {
	switch {
	case !r.Valid():
		return Errorf(EINVALID, "role: %q is not a role", r)
	case r == RoleGateway:
		// A gateway's password would post any source's alarms; a key posts only its own.
		return Errorf(EINVALID, "role: gateways sign in with a per-source API key (POST /api/v1/admin/api-keys, fireline keys create), not a password")
	case r == RoleField && unit == "":
		return Errorf(EINVALID, "unit_id: a field user crews one unit; name it")
	case r != RoleField && unit != "":
		return Errorf(EINVALID, "unit_id: only field users are bound to a unit, not a %s", r)
	}
	return nil
}

// MinPasswordLen and MaxPasswordBytes bound a password: twelve characters is the shortest we
// accept, and bcrypt reads only the first 72 bytes, so a longer password would be silently cut.
const (
	MinPasswordLen   = 12
	MaxPasswordBytes = 72
)

// ValidateUsername accepts 1..64 ASCII letters, digits, '.', '_' and '-', starting with a
// letter or digit: names that read the same in a log, a URL path and a shell.
func ValidateUsername(name string) error {
	if name == "" || len(name) > MaxUsernameLen {
		return Errorf(EINVALID, "username: must be 1 to %d characters", MaxUsernameLen)
	}
	for i, c := range name {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", c)) {
			return Errorf(EINVALID, "username: %q may hold only letters, digits, '.', '_' and '-', and starts with a letter or digit", name)
		}
	}
	return nil
}

// ValidatePassword is the password policy: at least MinPasswordLen characters, at most
// MaxPasswordBytes bytes, and not the username.
func ValidatePassword(username, password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return Errorf(EINVALID, "password: must be at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordBytes:
		return Errorf(EINVALID, "password: must be at most %d bytes", MaxPasswordBytes)
	case strings.EqualFold(strings.TrimSpace(password), username):
		return Errorf(EINVALID, "password: must not be the username")
	}
	return nil
}

// UserUpdate changes an account; a nil field is left as it is. A role other than field clears
// the unit, so moving a crew device to another role needs no second change.
type UserUpdate struct {
	Role     *Role   `json:"role,omitempty"`
	UnitID   *string `json:"unit_id,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// Apply returns a with the update applied, or the first field that cannot be.
func (u UserUpdate) Apply(a Account) (Account, error) {
	if u.Role != nil {
		a.Role = *u.Role
		if a.Role != RoleField {
			a.UnitID = ""
		}
	}
	if u.UnitID != nil {
		a.UnitID = *u.UnitID
	}
	if u.Disabled != nil {
		a.Disabled = *u.Disabled
	}
	return a, validateRoleUnit(a.Role, a.UnitID)
}

// Session is a signed-in browser or device, as an administrator sees it. Its token is never
// shown: only its hash is stored.
type Session struct {
	// ID names the session to revoke it.
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	// LastSeen is when the session was last used, to the minute.
	LastSeen   time.Time `json:"last_seen"`
	ExpiresAt  time.Time `json:"expires_at"`
	RemoteAddr string    `json:"remote_addr"`
	UserAgent  string    `json:"user_agent"`
}

// SessionInfo describes a session to start: how long it lasts and who asked for it.
type SessionInfo struct {
	TTL        time.Duration
	RemoteAddr string
	// UserAgent is cut to MaxUserAgent bytes.
	UserAgent string
}

// MaxUserAgent bounds the user agent a session records.
const MaxUserAgent = 256

// LoginPolicy is how failed logins lock a username out: after MaxFailures consecutive
// failures the username is locked for LockFor, doubling with each further failure up to
// MaxLock.
type LoginPolicy struct {
	MaxFailures int
	LockFor     time.Duration
	MaxLock     time.Duration
}

// DefaultLoginPolicy locks after 5 failures, for 1 minute doubling to 30.
func DefaultLoginPolicy() LoginPolicy {
	return LoginPolicy{MaxFailures: 5, LockFor: time.Minute, MaxLock: 30 * time.Minute}
}

// LockDuration is how long the username is locked after its failures-th consecutive
// failure: zero below MaxFailures.
func (p LoginPolicy) LockDuration(failures int) time.Duration {
	if failures < p.MaxFailures {
		return 0
	}
	d := p.LockFor
	for i := p.MaxFailures; i < failures && d < p.MaxLock; i++ {
		d *= 2
	}
	return min(d, p.MaxLock)
}

// RetryError is an *Error the caller may retry after a while: a locked account, a client over
// its rate. The HTTP boundary sends After as Retry-After.
type RetryError struct {
	Err   *Error
	After time.Duration
}

// Error implements the error interface.
func (e *RetryError) Error() string { return e.Err.Error() }

// Unwrap lets ErrorCode and ErrorMessage see the *Error.
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns how long err asks the caller to wait, and whether it asks at all.
func RetryAfter(err error) (time.Duration, bool) {
	var e *RetryError
	if errors.As(err, &e) {
		return e.After, true
	}
	return 0, false
}

// UserAdmin manages users and their sessions. postgres.DB implements it; the admin API and
// `fireline users` share it.
type UserAdmin interface {
	// CreateUser adds an account (NewUser.Validate); ECONFLICT when the username is taken.
	CreateUser(ctx context.Context, n NewUser) (Account, error)
	// Users lists every account by username.
	Users(ctx context.Context) ([]Account, error)
	// Account returns one account.
	Account(ctx context.Context, username string) (Account, error)
	// UpdateUser changes an account's role, unit or disabled flag. Disabling ends its sessions.
	UpdateUser(ctx context.Context, username string, u UserUpdate) (Account, error)
	// SetPassword replaces a password (ValidatePassword) and ends the user's sessions.
	SetPassword(ctx context.Context, username, password string) error
	// ChangePassword is a user's own change: the old password must be right (and counts as a
	// login attempt for the lock-out), and every session of the user ends.
	ChangePassword(ctx context.Context, username, oldPassword, newPassword string) error
	// StartSession opens a session for u and returns its token.
	StartSession(ctx context.Context, u User, info SessionInfo) (string, error)
	// EndSession ends the session of a token; an unknown token is not an error.
	EndSession(ctx context.Context, token string) error
	// EndSessions ends every session of a user and says how many there were.
	EndSessions(ctx context.Context, username string) (int, error)
	// Sessions lists a user's live sessions, newest first.
	Sessions(ctx context.Context, username string) ([]Session, error)
	// HasAdmin reports whether an enabled administrator exists, which serve needs to start.
	HasAdmin(ctx context.Context) (bool, error)
}
