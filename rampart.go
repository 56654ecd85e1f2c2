// Package rampart holds Rampart's domain: landing zones, accounts, scans and
// scan units, findings and their lifecycle, and the interfaces between the
// pipeline stages (stores, artifact stores, dispatchers). It imports only the
// standard library; every outside dependency lives in a package of its own
// (sqlite, awssim, awsscan, ...) and cmd/rampart wires them together.
package rampart

import (
	"errors"
	"fmt"
)

// Error codes of the domain error. They are mapped to HTTP statuses and exit
// codes in exactly one place each (httpapi, cmd/rampart).
const (
	EINTERNAL = "internal"
	EINVALID  = "invalid"
	ENOTFOUND = "not_found"
	ECONFLICT = "conflict"
)

// Error is the domain error: a code and a message that is safe to show.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("rampart: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of the first *Error in err's chain,
// or a generic message for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
