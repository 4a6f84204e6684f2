package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/fireline/fireline"
)

// SQLSTATE codes this package reacts to.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeNotNullViolation    = "23502"
	codeSerialization       = "40001"
	codeDeadlock            = "40P01"
	codeTooManyConnections  = "53300"
	codeAdminShutdown       = "57P01"
	codeCrashShutdown       = "57P02"
	codeCannotConnectNow    = "57P03"
	// codeQueryCanceled is a statement timeout (or an administrator's cancel): the database
	// is too slow to answer now, not refusing what we sent.
	codeQueryCanceled = "57014"
)

// translate wraps err from pgx once, with op as its prefix, and gives it a domain code where
// the cause is known: an outage becomes EUNAVAILABLE (callers retry), a violated constraint
// the caller's input could have caused becomes EINVALID or ECONFLICT. *fireline.Error values
// pass through untouched. pgx.ErrNoRows is handled by each caller, which knows what was not
// found.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *fireline.Error
	if errors.As(err, &fe) {
		return err
	}
	if unavailable(err) {
		return fmt.Errorf("%s: %w: %w", op, fireline.Errorf(fireline.EUNAVAILABLE, "the database is unavailable; try again"), err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%s: %w: %w", op, fireline.Errorf(fireline.ECONFLICT, "%s", constraintMessage(pe)), err)
		case codeForeignKeyViolation, codeCheckViolation, codeNotNullViolation:
			return fmt.Errorf("%s: %w: %w", op, fireline.Errorf(fireline.EINVALID, "%s", constraintMessage(pe)), err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// constraintMessage says which rule a row broke, in words a user can act on; the server's
// detail (which names the values) stays in the log.
func constraintMessage(pe *pgconn.PgError) string {
	if pe.ConstraintName != "" {
		return fmt.Sprintf("rejected by the database rule %s", pe.ConstraintName)
	}
	return pe.Message
}

// unavailable reports whether err means the database could not be reached or asked us to come
// back later, as opposed to rejecting what we sent.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == codeTooManyConnections, pe.Code == codeAdminShutdown,
			pe.Code == codeCrashShutdown, pe.Code == codeCannotConnectNow,
			pe.Code == codeSerialization, pe.Code == codeDeadlock, pe.Code == codeQueryCanceled:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false // our caller gave up; nothing is wrong with the database
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgConstraint returns the name of the constraint err violated, or "".
func pgConstraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

// noRows reports whether err says a query found nothing.
func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

func notFound(format string, args ...any) error {
	return fireline.Errorf(fireline.ENOTFOUND, format, args...)
}
