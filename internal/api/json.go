// Package api holds what the JSON surfaces share: reading a request body
// and rendering a problem the way the central error handler does. The
// surfaces themselves are its subpackages: checkoutapi (the public
// checkout API and the payment providers' webhooks) and v1 (the
// integrators' REST API). Their tests, in this directory, drive both over
// HTTP against the real stack.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/server"
)

// Rules say how a request body is read.
type Rules struct {
	// Strict refuses a field the request does not have (422 naming it), as
	// the integrators' API does. Otherwise unknown fields are ignored: a
	// buyer's client sending a price or currency changes nothing, since the
	// server's prices rule.
	Strict bool
	// Optional lets an empty body through, leaving v as it is.
	Optional bool
}

// Decode reads the request's JSON body into v: the content type must be
// JSON (415), the body one valid JSON object (400), and a value of the
// wrong type a problem naming its field (422).
func Decode(c echo.Context, v any, r Rules) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonProblem(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if r.Optional {
			return nil
		}
		return &echo.HTTPError{Code: http.StatusBadRequest, Message: "The body is empty; send a JSON object."}
	}
	if err := checkContentType(c); err != nil {
		return err
	}
	return decode(body, v, r.Strict)
}

// ReadBody reads a JSON request body whole (the body limit middleware
// bounds it), checking its content type: for a handler that must hash the
// body before it decodes it (DecodeBytes).
func ReadBody(c echo.Context) ([]byte, error) {
	if err := checkContentType(c); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, jsonProblem(err)
	}
	return b, nil
}

// DecodeBytes decodes one JSON object from b into v, ignoring unknown
// fields, with the same answers as Decode.
func DecodeBytes(b []byte, v any) error { return decode(b, v, false) }

// ProblemBody renders err as the central handler would, for handlers that
// must capture the response (idempotency) instead of returning the error.
func ProblemBody(err error) (int, []byte) {
	status, p := server.ProblemFor(err)
	b, _ := json.Marshal(p)
	return status, b
}

// Printable reports whether s is non-empty and all printable, as a client's
// Idempotency-Key must be.
func Printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return s != ""
}

func checkContentType(c echo.Context) error {
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if ct != echo.MIMEApplicationJSON {
		return &echo.HTTPError{Code: http.StatusUnsupportedMediaType, Message: "Send the body as application/json."}
	}
	return nil
}

// unknownField reads the field's name from encoding/json's error, which
// has no type of its own for it.
var unknownField = regexp.MustCompile(`unknown (?:field|object member name) "([^"]*)"`)

func decode(b []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if m := unknownField.FindStringSubmatch(err.Error()); strict && m != nil {
			return admit.FieldError(m[1], "Unknown field \""+m[1]+"\": this request has no such field.")
		}
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return admit.FieldError("body", "The body must hold exactly one JSON object.")
	}
	return nil
}

// ReadError is the answer to a request body that could not be read or
// decoded: a problem naming what was wrong, never a 500.
func ReadError(err error) error { return jsonProblem(err) }

func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return admit.FieldError(field, "Expected "+describeType(typeErr.Type.String())+", got "+typeErr.Value+".")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return &echo.HTTPError{Code: http.StatusBadRequest, Message: "The body is not valid JSON."}
	case errors.Is(err, io.EOF):
		return &echo.HTTPError{Code: http.StatusBadRequest, Message: "The body is empty; send a JSON object."}
	case errors.As(err, &maxErr), errors.Is(err, echo.ErrStatusRequestEntityTooLarge):
		return &echo.HTTPError{Code: http.StatusRequestEntityTooLarge, Message: "The body is too large."}
	}
	return &echo.HTTPError{Code: http.StatusBadRequest, Message: "The body could not be read as JSON."}
}

func describeType(t string) string {
	switch t {
	case "int", "int64", "int32":
		return "a whole number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	if strings.HasPrefix(t, "[]") {
		return "a list"
	}
	return "an object"
}
