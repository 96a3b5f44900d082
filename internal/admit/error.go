package admit

import (
	"errors"
	"fmt"
)

// Error codes shared by every surface. The HTTP layer maps each to a status
// with one table; the API writes the code itself into its JSON problems, so
// a code never changes once released.
const (
	ECONFLICT     = "conflict"               // the request races another, or repeats one still running
	EINTERNAL     = "internal"               // a failure the client cannot fix
	EINVALID      = "invalid"                // the input is wrong; Field says where
	ENOTFOUND     = "not_found"              // no such object in this organization
	EUNAUTHORIZED = "unauthorized"           // no or bad credentials
	EFORBIDDEN    = "forbidden"              // credentials lack the role or scope
	ESOLDOUT      = "sold_out"               // not enough tickets remain
	EEXPIRED      = "expired"                // a hold, offer or link whose time is over
	ERATELIMITED  = "rate_limited"           // too many requests; retry later
	EUNAVAILABLE  = "unavailable"            // a dependency is down; retry later
	EKEYREUSED    = "idempotency_key_reused" // same key, different request
	EWAITINGROOM  = "waiting_room"           // join the on-sale queue first
)

// Error is a domain error: a stable code, a message safe to show to the user,
// and, for invalid input, the field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
	// Problems lists every invalid field when a form or body has several.
	Problems []Problem
	// Detail carries structured information for API clients (for sold_out,
	// what ran short); it must be safe to show.
	Detail any
}

// Problem is one invalid field of a form or request body.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("admit error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("admit error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error naming the field at fault.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Message: message, Field: field, Problems: []Problem{{Field: field, Message: message}}}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EINTERNAL otherwise, so that unexpected failures never leak their text.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err, or a generic one for
// internal failures.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Problems collects field problems while validating input.
type Problems []Problem

// Add records a problem with field.
func (p *Problems) Add(field, message string) {
	*p = append(*p, Problem{Field: field, Message: message})
}

// For returns the message for field, or "" if it has none; templates use it to
// show the problem next to the field.
func (p Problems) For(field string) string {
	for _, pr := range p {
		if pr.Field == field {
			return pr.Message
		}
	}
	return ""
}

// Err returns nil when there are no problems, or an EINVALID *Error naming the
// first field and carrying all of them.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: p[0].Message, Field: p[0].Field, Problems: p}
}
