package fireline

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP boundary maps each to one status in one table.
const (
	EINVALID      = "invalid"      // the caller's input is wrong; Message says which field and why
	ENOTFOUND     = "not_found"    // the thing named does not exist
	ECONFLICT     = "conflict"     // the request fights current state (a unit already taken)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, role may not do this
	ETOOLARGE     = "too_large"    // payload over its limit
	ETOOMANY      = "too_many"     // too many requests from this client; retry later
	ELOCKED       = "locked"       // the account is locked for a while after failed logins
	EUNAVAILABLE  = "unavailable"  // a dependency is down; safe to retry
	EINTERNAL     = "internal"     // our bug; the log has the detail
)

// Error is an error a user may see: a code from the list above and a precise message.
// Anything that is not an *Error is shown to users as "internal error".
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("fireline: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the *Error's message, or
// "internal error" for anything else.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error"
}
