// Package payment starts the payment of pending orders with a provider and
// turns the provider's webhooks into verified notifications. Card numbers
// never reach admit: a provider such as Stripe hosts the payment page, and
// offline payment (bank transfer, pay at the door) needs no provider at all.
//
// Every call that makes a provider move money carries an idempotency key
// derived from the order or the refund, so a retried or duplicated request
// can never charge or refund twice.
package payment

import (
	"context"
	"fmt"

	"github.com/admithq/admit/internal/admit"
)

// Provider starts the payment of a pending order.
type Provider interface {
	// Name identifies the provider in orders and logs: "stripe", "offline".
	Name() string
	// Start begins paying o. For hosted pages it returns the URL to send the
	// buyer to; successURL and cancelURL are where the provider sends the
	// buyer back.
	Start(ctx context.Context, o *admit.Order, successURL, cancelURL string) (*Started, error)
}

// Started is what a provider returns when a payment has begun.
type Started struct {
	// Ref is the provider's id for the payment (for Stripe, the checkout
	// session id), stored on the order.
	Ref string
	// RedirectURL is the hosted payment page; empty for offline payment.
	RedirectURL string
}

// NotificationKind says what a provider's event means for an order.
type NotificationKind string

// Notification kinds. Ignored covers every event type admit does not act on;
// the webhook handler acknowledges it so the provider stops resending it.
const (
	Paid    NotificationKind = "paid"
	Failed  NotificationKind = "failed"
	Expired NotificationKind = "expired"
	Ignored NotificationKind = "ignored"
)

// Notification is a verified event from the provider about an order's
// payment.
type Notification struct {
	// EventID is the provider's event id, for logs and deduplication:
	// providers deliver the same event more than once.
	EventID string
	// Type is the provider's own event type, for logs.
	Type string
	Kind NotificationKind
	// OrderID and OrganizationID come from the metadata admit attached when
	// the payment started; zero for an ignored event that carries none.
	OrderID        int64
	OrganizationID int64
	// Ref is the checkout session id or the payment intent id.
	Ref string
	// PaymentIntent is the payment intent id when known; refunds need it.
	PaymentIntent string
	// Amount is the amount paid in minor units, Currency its ISO code in
	// upper case; the caller compares them with the order before marking it
	// paid.
	Amount   int64
	Currency string
}

// wrap prefixes a non-nil *errp with the operation that failed, keeping the
// chain so that admit.ErrorCode still finds a domain error inside.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
