package fireline

import "context"

// DirectoryIdentity is a person as the centre's directory vouches for them after an OpenID
// Connect sign-in: the issuer and subject that name them for good, the username they are
// shown and audited by, and the role their directory groups map to.
type DirectoryIdentity struct {
	// Issuer and Subject are the ID token's iss and sub: together they are the person.
	Issuer  string
	Subject string
	// Username is the configured claim (preferred_username by default).
	Username string
	Role     Role
}

// MaxUsernameLen bounds a username in bytes of UTF-8.
const MaxUsernameLen = 64

// Validate checks what the directory said before anyone is signed in by it. A directory
// signs in people at desks: crews sign in on their unit's device with a login bound to the
// unit, and gateways with keys, so neither role comes from a directory.
func (d DirectoryIdentity) Validate() error {
	switch {
	case d.Issuer == "" || d.Subject == "":
		return Errorf(EINVALID, "directory identity: issuer and subject are required")
	case d.Username == "":
		return Errorf(EINVALID, "directory identity: the username claim is empty")
	case ValidateUsername(d.Username) != nil:
		// The same rules as a local user's: the name appears in URLs (/admin/users/{name}), the
		// audit log and the rate limiter's buckets, where "apikey:…" or a '/' would mislead.
		return Errorf(EINVALID, "directory identity: %s", ErrorMessage(ValidateUsername(d.Username)))
	case d.Role == "":
		return Errorf(EFORBIDDEN, "directory identity %s: none of the directory's groups maps to a Fireline role", d.Username)
	case !d.Role.Valid():
		return Errorf(EINVALID, "directory identity %s: %q is not a role", d.Username, d.Role)
	case d.Role == RoleField || d.Role == RoleGateway:
		return Errorf(EFORBIDDEN, "directory identity %s: the %s role is not given through the directory", d.Username, d.Role)
	}
	return nil
}

// DirectoryUsers keeps the users that sign in through the directory.
type DirectoryUsers interface {
	// DirectoryUser returns the user the identity signs in as: created on its first sign-in,
	// its role brought up to date on every later one. ECONFLICT when the username belongs to a
	// local user or to another directory identity.
	DirectoryUser(ctx context.Context, id DirectoryIdentity) (User, error)
}
