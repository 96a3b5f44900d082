package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// http_ErrAbortHandler is re-panicked: net/http uses it to abort a response
// on purpose.
var http_ErrAbortHandler any = http.ErrAbortHandler

// codeStatus maps each domain error code to its HTTP status: the one table.
var codeStatus = map[string]int{
	admit.ECONFLICT:     http.StatusConflict,
	admit.EINVALID:      http.StatusUnprocessableEntity,
	admit.ENOTFOUND:     http.StatusNotFound,
	admit.EUNAUTHORIZED: http.StatusUnauthorized,
	admit.EFORBIDDEN:    http.StatusForbidden,
	admit.ESOLDOUT:      http.StatusConflict,
	admit.EEXPIRED:      http.StatusGone,
	admit.ERATELIMITED:  http.StatusTooManyRequests,
	admit.EUNAVAILABLE:  http.StatusServiceUnavailable,
	admit.EKEYREUSED:    http.StatusUnprocessableEntity,
	admit.EWAITINGROOM:  http.StatusForbidden,
	admit.EINTERNAL:     http.StatusInternalServerError,
}

// statusCode maps HTTP statuses from echo's own errors (unknown route, body
// too large, bad method) back to domain codes for the JSON problem.
var statusCode = map[int]string{
	http.StatusBadRequest:            admit.EINVALID,
	http.StatusNotFound:              admit.ENOTFOUND,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnauthorized:          admit.EUNAUTHORIZED,
	http.StatusForbidden:             admit.EFORBIDDEN,
	http.StatusTooManyRequests:       admit.ERATELIMITED,
	http.StatusServiceUnavailable:    admit.EUNAVAILABLE,
}

// Problem is the JSON body of every API error.
type Problem struct {
	Code     string          `json:"code"`
	Message  string          `json:"message"`
	Field    string          `json:"field,omitempty"`
	Problems []admit.Problem `json:"problems,omitempty"`
	Detail   any             `json:"detail,omitempty"`
}

// ErrorStatus returns the HTTP status for err.
func ErrorStatus(err error) int {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	if st, ok := codeStatus[admit.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ProblemFor returns the HTTP status and JSON problem for err. The message of
// an internal failure is never the error's own text.
func ProblemFor(err error) (int, Problem) {
	status := ErrorStatus(err)
	p := Problem{Code: admit.ErrorCode(err), Message: admit.ErrorMessage(err)}
	var he *echo.HTTPError
	var de *admit.Error
	switch {
	case errors.As(err, &he):
		p.Code = statusCode[he.Code]
		if p.Code == "" {
			p.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")
		}
		p.Message = http.StatusText(he.Code) + "."
		if msg, ok := he.Message.(string); ok && he.Code < 500 && he.Internal == nil {
			p.Message = msg
		}
	case errors.As(err, &de):
		p.Field, p.Problems, p.Detail = de.Field, de.Problems, de.Detail
	}
	if status == http.StatusInternalServerError {
		p.Code, p.Message = admit.EINTERNAL, "Internal error. It has been logged; please try again."
	}
	return status, p
}

// handleError is echo's HTTPErrorHandler: every error of every surface is
// rendered here. Only 5xx is logged as an error, and a client never sees the
// text of an internal failure.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, p := ProblemFor(err)
	if status >= 500 {
		LoggerFrom(c.Request().Context()).Error("request failed", "err", err, "status", status)
	}
	if status == http.StatusTooManyRequests && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "1")
	}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(status)
	} else if wantsJSON(c) {
		werr = c.JSON(status, p)
	} else {
		werr = s.html(c, status, p.Message)
	}
	if werr != nil {
		LoggerFrom(c.Request().Context()).Error("writing error response failed", "err", werr)
	}
}

// wantsJSON reports whether the request belongs to a JSON surface.
func wantsJSON(c echo.Context) bool {
	path := c.Request().URL.Path
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/webhooks/") || path == "/readyz" || path == "/healthz"
}
