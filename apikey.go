package fireline

import (
	"context"
	"strings"
	"time"
)

// APIKeyPrefix starts every API key, so that a key is told from a session token at a glance,
// by the API and by secret scanners.
const APIKeyPrefix = "flk_"

// Limits of an API key's fields.
const (
	MaxAPIKeyNameLen = 64
	// MaxAPIKeyPrefixLen is MaxSourceIDLen: a longer prefix would match no alarm.
	MaxAPIKeyPrefixLen = MaxSourceIDLen
)

// APIKeySources are the alarm sources a key may be given: the machines that post alarms or
// warnings. Calls are taken by people, who sign in.
var APIKeySources = []AlarmSource{SourceIoT, SourceLampPost, SourcePublic, SourceCAP}

// APIKey is the credential of one alarm source's gateway (a panel network, the lamp-post
// buttons, the public app and SMS, a CAP feed). It signs in as the gateway role and may post
// only its own source's alarms, and of those only the ones whose source id begins with its
// prefix: a leaked key of one panel network cannot raise alarms in the name of another. Only
// the SHA-256 of its secret is stored; the secret is shown once, when the key is created.
type APIKey struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Source is the one source whose alarms (or, for cap, warnings) the key posts.
	Source AlarmSource `json:"source"`
	// SourceIDPrefix, when set, must begin every alarm's source id (a panel's is
	// "device:event") or, for a CAP feed, every warning's sender.
	SourceIDPrefix string     `json:"source_id_prefix,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	CreatedBy      string     `json:"created_by"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	RevokedBy      string     `json:"revoked_by,omitempty"`
	// LastUsedAt is when the key last signed a request, to about a minute: it is not written
	// on every alarm.
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// User is who a request signed with the key acts as: the gateway role, named after the key so
// that the logs and the alarms' trail say which key it was.
func (k APIKey) User() User {
	return User{Username: "apikey:" + k.Name, Role: RoleGateway}
}

// Grant is what the key may post.
func (k APIKey) Grant() AlarmGrant {
	return AlarmGrant{Key: k.Name, Source: k.Source, SourceIDPrefix: k.SourceIDPrefix}
}

// NewAPIKey is an administrator's request for a key, from the API or `fireline keys create`.
type NewAPIKey struct {
	Name           string      `json:"name"`
	Source         AlarmSource `json:"source"`
	SourceIDPrefix string      `json:"source_id_prefix"`
}

// Validate checks the request: a name, one of APIKeySources, a prefix of printable characters.
func (k NewAPIKey) Validate() error {
	switch {
	case strings.TrimSpace(k.Name) == "":
		return Errorf(EINVALID, "name: required (say which gateway or feed holds the key)")
	case len(k.Name) > MaxAPIKeyNameLen:
		return Errorf(EINVALID, "name: longer than %d bytes", MaxAPIKeyNameLen)
	case !validKeySource(k.Source):
		return Errorf(EINVALID, "source: %q is not one of iot, lamppost, public, cap", k.Source)
	case len(k.SourceIDPrefix) > MaxAPIKeyPrefixLen:
		return Errorf(EINVALID, "source_id_prefix: longer than %d bytes", MaxAPIKeyPrefixLen)
	}
	for _, s := range [...]struct{ field, v string }{{"name", k.Name}, {"source_id_prefix", k.SourceIDPrefix}} {
		if strings.ContainsFunc(s.v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return Errorf(EINVALID, "%s: control characters are not allowed", s.field)
		}
	}
	return nil
}

func validKeySource(s AlarmSource) bool {
	for _, k := range APIKeySources {
		if s == k {
			return true
		}
	}
	return false
}

// APIKeyStore keeps the alarm sources' API keys. postgres.DB implements it; the admin API and
// `fireline keys` both call it.
type APIKeyStore interface {
	// CreateAPIKey validates k, stores a new key and returns it with its secret (APIKeyPrefix
	// and 32 random bytes, base64url), which is never shown again.
	CreateAPIKey(ctx context.Context, k NewAPIKey, actor string) (APIKey, string, error)
	// APIKeys lists every key, revoked ones too, newest first.
	APIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey revokes a key for good; revoking it again changes nothing.
	RevokeAPIKey(ctx context.Context, id int64, actor string) (APIKey, error)
	// APIKeyBySecret is the live key of a secret: EUNAUTHORIZED when it is unknown or revoked.
	// It notes when the key was last used.
	APIKeyBySecret(ctx context.Context, secret string) (APIKey, error)
}

// AlarmGrant is what a request signed with an API key may post: one source's alarms, and of
// those only the ones whose source id begins with the prefix. The intake desk checks it.
type AlarmGrant struct {
	// Key is the key's name, for the messages.
	Key            string
	Source         AlarmSource
	SourceIDPrefix string
}

// formatSource is the source whose alarms each device format brings.
var formatSource = map[AlarmFormat]AlarmSource{
	FormatIoT: SourceIoT, FormatLampPost: SourceLampPost, FormatPublic: SourcePublic,
}

// PermitsFormat refuses, before the payload is read, an alarm format that does not bring the
// grant's source: a lamp-post key posting a panel event.
func (g AlarmGrant) PermitsFormat(f AlarmFormat) error {
	if src, ok := formatSource[f]; !ok || src != g.Source {
		return Errorf(EFORBIDDEN, "API key %s posts %s alarms only, not the %s format", g.Key, g.Source, f)
	}
	return nil
}

// PermitsAlarm refuses an alarm of another source, or whose source id is outside the prefix.
func (g AlarmGrant) PermitsAlarm(a Alarm) error {
	switch {
	case a.Source != g.Source:
		return Errorf(EFORBIDDEN, "API key %s posts %s alarms only, not %s alarms", g.Key, g.Source, a.Source)
	case !strings.HasPrefix(a.SourceID, g.SourceIDPrefix):
		return Errorf(EFORBIDDEN, "API key %s posts alarms whose source id begins with %q only, not %q", g.Key, g.SourceIDPrefix, a.SourceID)
	}
	return nil
}

// PermitsWarning refuses a CAP warning from a key of another source, or whose sender is
// outside the prefix.
func (g AlarmGrant) PermitsWarning(w Warning) error {
	switch {
	case g.Source != SourceCAP:
		return Errorf(EFORBIDDEN, "API key %s posts %s alarms only, not CAP warnings", g.Key, g.Source)
	case !strings.HasPrefix(w.Sender, g.SourceIDPrefix):
		return Errorf(EFORBIDDEN, "API key %s posts warnings whose sender begins with %q only, not %q", g.Key, g.SourceIDPrefix, w.Sender)
	}
	return nil
}

type grantKey struct{}

// NewContextWithAlarmGrant returns ctx carrying the grant of the API key that signed the
// request. The HTTP boundary sets it; the intake desk, which alone reads the payload and knows
// the alarm's source id, checks it (as a service checks the user in its context).
func NewContextWithAlarmGrant(ctx context.Context, g AlarmGrant) context.Context {
	return context.WithValue(ctx, grantKey{}, g)
}

// AlarmGrantFrom returns the grant ctx carries; ok is false for a request not signed with an
// API key (a person, or the gateway demo login, which posts for any source).
func AlarmGrantFrom(ctx context.Context) (g AlarmGrant, ok bool) {
	g, ok = ctx.Value(grantKey{}).(AlarmGrant)
	return g, ok
}
