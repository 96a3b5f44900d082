package admit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error codes the API answers with. They never change once released.
const (
	CodeInvalid              = "invalid"                // the input is wrong; Field says where
	CodeNotFound             = "not_found"              // no such object in the token's organization
	CodeUnauthorized         = "unauthorized"           // no token, or a revoked or unknown one
	CodeForbidden            = "forbidden"              // the token lacks the scope
	CodeConflict             = "conflict"               // the object's state does not allow it, or a repeat still running
	CodeSoldOut              = "sold_out"               // not enough tickets remain
	CodeRateLimited          = "rate_limited"           // too many requests; see RetryAfter
	CodeIdempotencyKeyReused = "idempotency_key_reused" // the same key with a different request
	CodeUnsupportedMediaType = "unsupported_media_type" // the body is not JSON
	CodeBodyTooLarge         = "body_too_large"         // the body is over the server's limit
	CodeInternal             = "internal"               // a server failure; retried by the client
)

// Error is a failure the API explained: an HTTP status, a stable Code, a
// Message for people and, for invalid input, the Field at fault.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	Field      string
	// Problems lists every invalid field when there are several.
	Problems []Problem
	// Detail is structured information some errors carry (what ran short
	// for sold_out, the outcome of a refused check-in).
	Detail json.RawMessage
	// RetryAfter is how long the server asked to wait, if it did.
	RetryAfter time.Duration
	// RequestID names the request in the server's logs.
	RequestID string
}

// Problem is one invalid field.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "admit: %d %s", e.StatusCode, e.Code)
	if e.Field != "" {
		fmt.Fprintf(&b, " (%s)", e.Field)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// newError reads the server's JSON problem; an answer that is not one
// (a proxy's error page) still gives the status.
func newError(resp *http.Response, body []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var p struct {
		Code     string          `json:"code"`
		Message  string          `json:"message"`
		Field    string          `json:"field"`
		Problems []Problem       `json:"problems"`
		Detail   json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil && p.Code != "" {
		e.Code, e.Message, e.Field, e.Problems, e.Detail = p.Code, p.Message, p.Field, p.Problems, p.Detail
		return e
	}
	e.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(resp.StatusCode)), " ", "_")
	e.Message = http.StatusText(resp.StatusCode)
	return e
}

// ErrorCode returns the Code of err if it is (or wraps) an *Error, and ""
// otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
