package postgres

import (
	"context"

	"github.com/fireline/fireline"
)

var _ fireline.DirectoryUsers = (*DB)(nil)

// noPassword is the password_hash of a directory user: not a bcrypt hash, so no password
// ever matches it and the user signs in through the directory only.
const noPassword = "!directory"

// DirectoryUser creates the identity's user on its first sign-in and brings its role up to
// date on every later one. The update happens only when the row already belongs to the same
// issuer and subject; a local user's row, or another identity's, is left alone and the answer
// is ECONFLICT.
func (db *DB) DirectoryUser(ctx context.Context, id fireline.DirectoryIdentity) (fireline.User, error) {
	if err := id.Validate(); err != nil {
		return fireline.User{}, err
	}
	u := fireline.User{}
	var disabled bool
	err := db.pool.QueryRow(ctx, `
		INSERT INTO users (username, password_hash, role, directory_issuer, directory_subject)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (username) DO UPDATE SET role = excluded.role
		WHERE users.directory_issuer = excluded.directory_issuer
		  AND users.directory_subject = excluded.directory_subject
		RETURNING username, role, disabled`,
		id.Username, noPassword, string(id.Role), id.Issuer, id.Subject).Scan(&u.Username, &u.Role, &disabled)
	switch {
	case err == nil && disabled:
		return fireline.User{}, fireline.Errorf(fireline.EFORBIDDEN, "user %s is disabled", id.Username)
	case noRows(err):
		return fireline.User{}, fireline.Errorf(fireline.ECONFLICT, "username %s belongs to a local user or to another directory identity", id.Username)
	case pgCode(err) == codeUniqueViolation:
		return fireline.User{}, fireline.Errorf(fireline.ECONFLICT, "this directory identity already signs in under another username than %s", id.Username)
	case err != nil:
		return fireline.User{}, translate("directory user", err)
	}
	return u, nil
}
