// Package checkoutapi is the public checkout API under /api/checkout/v1,
// used by the pages' JavaScript, embeddable widgets and load tests, and
// the payment providers' webhooks. Errors are JSON problems rendered by
// the central error handler; every route is listed in routes.go.
package checkoutapi

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/payment"
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

// Options are the checkout API's dependencies.
type Options struct {
	Store    Store
	Checkout *checkout.Checkout
	Stripe   StripeWebhooks // nil when Stripe is not configured
	Logger   *slog.Logger
	// Codes limits wrong discount codes; nil: not limited.
	Codes *checkout.CodeGuard
}

// Handler serves the checkout API.
type Handler struct {
	store    Store
	checkout *checkout.Checkout
	codes    *checkout.CodeGuard
	stripe   StripeWebhooks
	logger   *slog.Logger
}

// New returns the checkout API's handler.
func New(o Options) *Handler {
	if o.Codes == nil {
		o.Codes = checkout.NewCodeGuard(o.Checkout, nil)
	}
	return &Handler{store: o.Store, checkout: o.Checkout, codes: o.Codes, stripe: o.Stripe, logger: o.Logger}
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
