package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/fireline/fireline"
)

// accountColumns reads an account with its lock, if failed logins hold one now.
const accountColumns = `
	SELECT u.username, u.role, coalesce(u.unit_id, ''), u.disabled, u.created_at, u.password_changed_at, f.locked_until
	FROM users u LEFT JOIN login_failures f ON f.username = u.username AND f.locked_until > now()`

func rowToAccount(row pgx.CollectableRow) (fireline.Account, error) {
	var a fireline.Account
	var locked *time.Time
	err := row.Scan(&a.Username, &a.Role, &a.UnitID, &a.Disabled, &a.CreatedAt, &a.PasswordChangedAt, &locked)
	a.LockedUntil = locked
	return a, err
}

func hashPassword(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fireline.Errorf(fireline.EINVALID, "password: %v", err)
	}
	return string(b), nil
}

// CreateUser adds an account with a bcrypt hash of its password. ECONFLICT when the username
// is taken, EINVALID when the unit does not exist.
func (db *DB) CreateUser(ctx context.Context, n fireline.NewUser) (fireline.Account, error) {
	if err := n.Validate(); err != nil {
		return fireline.Account{}, err
	}
	hash, err := hashPassword(n.Password)
	if err != nil {
		return fireline.Account{}, err
	}
	_, err = db.pool.Exec(ctx, "INSERT INTO users (username, password_hash, role, unit_id) VALUES ($1, $2, $3, nullif($4, ''))",
		n.Username, hash, n.Role, n.UnitID)
	switch pgCode(err) {
	case codeUniqueViolation:
		return fireline.Account{}, fireline.Errorf(fireline.ECONFLICT, "user %s already exists", n.Username)
	case codeForeignKeyViolation:
		return fireline.Account{}, fireline.Errorf(fireline.EINVALID, "unit_id: unit %s does not exist", n.UnitID)
	}
	if err != nil {
		return fireline.Account{}, translate("create user", err)
	}
	return db.Account(ctx, n.Username)
}

// Users lists every account by username.
func (db *DB) Users(ctx context.Context) ([]fireline.Account, error) {
	rows, _ := db.pool.Query(ctx, accountColumns+" ORDER BY u.username")
	accounts, err := pgx.CollectRows(rows, rowToAccount)
	if err != nil {
		return nil, translate("users", err)
	}
	return accounts, nil
}

// Account returns one account; ENOTFOUND when there is none of that name.
func (db *DB) Account(ctx context.Context, username string) (fireline.Account, error) {
	rows, _ := db.pool.Query(ctx, accountColumns+" WHERE u.username = $1", username)
	a, err := pgx.CollectExactlyOneRow(rows, rowToAccount)
	if noRows(err) {
		return fireline.Account{}, notFound("user %s does not exist", username)
	}
	if err != nil {
		return fireline.Account{}, translate("account", err)
	}
	return a, nil
}

// UpdateUser changes an account's role, unit or disabled flag (UserUpdate.Apply). Disabling
// ends the account's sessions; a role change takes effect on the next request, as every
// request reads the role afresh. The last enabled administrator can be neither disabled nor
// given another role: nobody would be left to undo it.
func (db *DB) UpdateUser(ctx context.Context, username string, u fireline.UserUpdate) (fireline.Account, error) {
	err := db.inTx(ctx, "update user", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, accountColumns+" WHERE u.username = $1 FOR UPDATE OF u", username)
		before, err := pgx.CollectExactlyOneRow(rows, rowToAccount)
		if noRows(err) {
			return notFound("user %s does not exist", username)
		}
		if err != nil {
			return translate("update user: read", err)
		}
		after, err := u.Apply(before)
		if err != nil {
			return err
		}
		if isAdmin(before) && !isAdmin(after) {
			// Two administrators demoting each other at once would each see the other still
			// there: demotions of administrators take their turns, and each counts what the
			// one before it committed.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('fireline: demote an administrator'))"); err != nil {
				return translate("update user: lock administrators", err)
			}
			var others bool
			err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM users WHERE role = 'admin' AND NOT disabled AND username <> $1)",
				username).Scan(&others)
			if err != nil {
				return translate("update user: count administrators", err)
			}
			if !others {
				return fireline.Errorf(fireline.ECONFLICT, "%s is the last enabled administrator: create another first", username)
			}
		}
		_, err = tx.Exec(ctx, "UPDATE users SET role = $2, unit_id = nullif($3, ''), disabled = $4 WHERE username = $1",
			username, after.Role, after.UnitID, after.Disabled)
		if pgCode(err) == codeForeignKeyViolation {
			return fireline.Errorf(fireline.EINVALID, "unit_id: unit %s does not exist", after.UnitID)
		}
		if err != nil {
			return translate("update user", err)
		}
		if after.Disabled {
			if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE username = $1", username); err != nil {
				return translate("update user: end sessions", err)
			}
		}
		return nil
	})
	if err != nil {
		return fireline.Account{}, err
	}
	return db.Account(ctx, username)
}

func isAdmin(a fireline.Account) bool { return a.Role == fireline.RoleAdmin && !a.Disabled }

// SetPassword replaces username's password, ends its sessions and lifts a lock-out: an
// administrator's reset is how a locked user gets back in at once.
func (db *DB) SetPassword(ctx context.Context, username, password string) error {
	if err := fireline.ValidatePassword(username, password); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return db.inTx(ctx, "set password", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE username = $1", username, hash)
		if err != nil {
			return translate("set password", err)
		}
		if tag.RowsAffected() == 0 {
			return notFound("user %s does not exist", username)
		}
		_, err = tx.Exec(ctx, `
			WITH unlocked AS (DELETE FROM login_failures WHERE username = $1)
			DELETE FROM sessions WHERE username = $1`, username)
		return translate("set password: end sessions", err)
	})
}

// ChangePassword is a user's own change of password: the old one must pass Authenticate, so
// guessing it here counts toward the lock-out like any login.
func (db *DB) ChangePassword(ctx context.Context, username, oldPassword, newPassword string) error {
	if err := fireline.ValidatePassword(username, newPassword); err != nil {
		return err
	}
	if oldPassword == newPassword {
		return fireline.Errorf(fireline.EINVALID, "new_password: must differ from the old one")
	}
	if _, err := db.Authenticate(ctx, username, oldPassword); err != nil {
		if fireline.ErrorCode(err) == fireline.EUNAUTHORIZED {
			return fireline.Errorf(fireline.EINVALID, "old_password: wrong password")
		}
		return err
	}
	return db.SetPassword(ctx, username, newPassword)
}

// HasAdmin reports whether an enabled administrator exists.
func (db *DB) HasAdmin(ctx context.Context) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM users WHERE role = 'admin' AND NOT disabled)").Scan(&ok)
	if err != nil {
		return false, translate("has admin", err)
	}
	return ok, nil
}
