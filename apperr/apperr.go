// Package apperr holds the error codes of the API contract (BEHAVIOUR.md §2).
// The rules return these; the GraphQL layer passes their code, message and
// field through, and turns every other error into INTERNAL.
package apperr

import (
	"errors"
	"fmt"
)

// Code is one of the contract's extensions.code values.
type Code string

const (
	Unauthenticated    Code = "UNAUTHENTICATED"
	Forbidden          Code = "FORBIDDEN"
	NotFound           Code = "NOT_FOUND"
	BadUserInput       Code = "BAD_USER_INPUT"
	Conflict           Code = "CONFLICT"
	RateLimited        Code = "RATE_LIMITED"
	SeatLimitReached   Code = "SEAT_LIMIT_REACHED"
	InvalidToken       Code = "INVALID_TOKEN"
	TokenExpired       Code = "TOKEN_EXPIRED"
	InvalidCredentials Code = "INVALID_CREDENTIALS"
	Internal           Code = "INTERNAL"
)

// Error is an error a client may see: its message is written for the client.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field for BAD_USER_INPUT.
	Field string
	// RetryAfterSeconds is set for RATE_LIMITED.
	RetryAfterSeconds int
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// New returns an error with a code and a client-facing message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Input returns a BAD_USER_INPUT error about one input field.
func Input(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
