// Package api is the JSON surface: the public checkout API used by the
// pages' JavaScript, embeddable widgets and load tests, and the payment
// providers' webhooks. Errors are JSON problems rendered by the central
// error handler; every route is listed in routes.go.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/server"
)

// Store is what the API needs from storage.
type Store interface {
	FindPublicEvent(ctx context.Context, orgSlug, eventSlug string) (*admit.Event, error)
	CachedPublicEvent(ctx context.Context, orgSlug, eventSlug string) (*admit.Event, error)
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	ListTicketTypes(ctx context.Context, orgID, eventID int64, withHidden bool) ([]*admit.TicketType, error)
	FindHold(ctx context.Context, id string) (*admit.Hold, error)
	FindOrderForBuyer(ctx context.Context, reference, token string) (*admit.Order, error)
	BeginIdempotent(ctx context.Context, k admit.IdempotencyKey, hash []byte) (*admit.StoredResponse, error)
	FinishIdempotent(ctx context.Context, k admit.IdempotencyKey, status int, body []byte) error
	AbandonIdempotent(ctx context.Context, k admit.IdempotencyKey) error
}

// StripeWebhooks verifies Stripe's signed webhook payloads.
type StripeWebhooks interface {
	ParseWebhook(payload []byte, signatureHeader string) (*payment.Notification, error)
}

// Options are the API's dependencies.
type Options struct {
	Store    Store
	Checkout *checkout.Checkout
	Stripe   StripeWebhooks // nil when Stripe is not configured
	Logger   *slog.Logger
	V1       V1Options // the integrators' API under /api/v1
	// Codes limits wrong discount codes; nil: not limited.
	Codes *checkout.CodeGuard
}

// Handler serves the JSON API.
type Handler struct {
	store    Store
	checkout *checkout.Checkout
	codes    *checkout.CodeGuard
	stripe   StripeWebhooks
	logger   *slog.Logger
	v1       V1Options
}

// New returns the API handler.
func New(o Options) *Handler {
	if o.Codes == nil {
		o.Codes = checkout.NewCodeGuard(o.Checkout, nil)
	}
	return &Handler{store: o.Store, checkout: o.Checkout, codes: o.Codes, stripe: o.Stripe, logger: o.Logger, v1: o.V1}
}

// decodeJSON reads a JSON body into v. Unknown fields are ignored (a client
// sending a price or currency changes nothing: the server's prices rule);
// wrong types name the field.
func decodeJSON(c echo.Context, v any) error {
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if ct != echo.MIMEApplicationJSON {
		return &echo.HTTPError{Code: http.StatusUnsupportedMediaType, Message: "Send the body as application/json."}
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return admit.FieldError("body", "The body must hold exactly one JSON object.")
	}
	return nil
}

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
	case errors.As(err, &maxErr):
		return &echo.HTTPError{Code: http.StatusRequestEntityTooLarge, Message: "The body is too large."}
	}
	if strings.Contains(err.Error(), "http: request body too large") {
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

// clientOf identifies the buyer for the per-buyer hold cap and the limit on
// wrong discount codes: the buyer cookie set by the pages, and the address
// as limits count it (an IPv6 address by its /64, which one subscriber can
// use whole). Never a header the client chooses.
func clientOf(c echo.Context) checkout.Client {
	cl := checkout.Client{IP: admit.AddressKey(c.RealIP())}
	if ck, err := c.Cookie("admit_buyer"); err == nil && len(ck.Value) <= 64 {
		cl.Key = ck.Value
	}
	return cl
}

// problemBody renders err as the central handler would, for handlers that
// must capture the response (idempotency) instead of returning the error.
func problemBody(err error) (int, []byte) {
	status, p := server.ProblemFor(err)
	b, _ := json.Marshal(p)
	return status, b
}
