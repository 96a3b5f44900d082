package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/admithq/admit/internal/admit"
)

// Metadata keys admit attaches to checkout sessions and payment intents, and
// reads back from webhook events.
const (
	metadataOrderID        = "order_id"
	metadataOrganizationID = "organization_id"
)

// unreachableMessage is shown to buyers when Stripe cannot be reached.
const unreachableMessage = "The payment provider is unreachable; please try again."

// StripeOptions configures a Stripe provider.
type StripeOptions struct {
	// SecretKey is the account's secret API key (sk_live_… or sk_test_…).
	SecretKey string
	// WebhookSecret is the signing secret of the webhook endpoint (whsec_…).
	WebhookSecret string
	// APIBase replaces Stripe's API address, e.g. http://127.0.0.1:12111 for
	// stripe-mock; empty means Stripe's own.
	APIBase string
	// HTTPClient makes the API requests; nil means stripe-go's default.
	HTTPClient *http.Client
}

// Stripe takes payments through Stripe Checkout: the buyer pays on a page
// Stripe hosts, and Stripe reports the outcome through signed webhooks.
type Stripe struct {
	client        *stripe.Client
	webhookSecret string
}

var _ Provider = (*Stripe)(nil)

// NewStripe returns a Stripe provider for o.
func NewStripe(o StripeOptions) *Stripe {
	cfg := &stripe.BackendConfig{
		HTTPClient: o.HTTPClient,
		// Every failure is returned to the caller, who logs it with the
		// request's id; stripe-go's own logger would print it a second time
		// on stderr, outside the structured log.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if o.APIBase != "" {
		cfg.URL = stripe.String(o.APIBase)
	}
	return &Stripe{
		client:        stripe.NewClient(o.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg))),
		webhookSecret: o.WebhookSecret,
	}
}

// Name returns "stripe".
func (*Stripe) Name() string { return "stripe" }

// OrderIdempotencyKey is the key under which the payment of order id is
// started. Stripe answers a repeated key with the session it created the
// first time (for 24 hours), so one order never gets two checkout sessions,
// and therefore never two charges, however often Start runs.
func OrderIdempotencyKey(orderID int64) string {
	return "admit-order-" + strconv.FormatInt(orderID, 10)
}

// Start creates a Stripe Checkout Session for o, with one line per order
// line, and returns its id and the URL of its payment page. The session and
// its payment intent carry the order and organization ids as metadata, which
// is how webhooks find the order again.
func (s *Stripe) Start(ctx context.Context, o *admit.Order, successURL, cancelURL string) (_ *Started, err error) {
	defer wrap(&err, "Stripe.Start(order %d)", o.ID)
	if len(o.Lines) == 0 {
		return nil, errors.New("order has no lines")
	}
	// Stripe charges the sum of the lines; refuse to start a payment for any
	// other amount than the order's total.
	var sum int64
	for _, l := range o.Lines {
		sum += int64(l.Quantity) * l.UnitPrice
	}
	if sum != o.Total {
		return nil, fmt.Errorf("lines add up to %d but the order total is %d", sum, o.Total)
	}

	metadata := map[string]string{
		metadataOrderID:        strconv.FormatInt(o.ID, 10),
		metadataOrganizationID: strconv.FormatInt(o.OrganizationID, 10),
	}
	params := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		SuccessURL:        stripe.String(successURL),
		CancelURL:         stripe.String(cancelURL),
		ClientReferenceID: stripe.String(o.Reference),
		Metadata:          metadata,
		PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{
			Metadata: metadata,
		},
	}
	if o.BuyerEmail != "" {
		params.CustomerEmail = stripe.String(o.BuyerEmail)
	}
	currency := strings.ToLower(o.Currency)
	for _, l := range o.Lines {
		params.LineItems = append(params.LineItems, &stripe.CheckoutSessionCreateLineItemParams{
			Quantity: stripe.Int64(int64(l.Quantity)),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:   stripe.String(currency),
				UnitAmount: stripe.Int64(l.UnitPrice),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{
					Name: stripe.String(l.Name),
				},
			},
		})
	}
	params.SetIdempotencyKey(OrderIdempotencyKey(o.ID))

	session, err := s.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return nil, providerError(err)
	}
	if session.ID == "" || session.URL == "" {
		return nil, fmt.Errorf("checkout session %q came back without a payment page URL", session.ID)
	}
	return &Started{Ref: session.ID, RedirectURL: session.URL}, nil
}

// Refund gives back amount (in minor units; 0 refunds everything not yet
// refunded) of the payment intent paymentIntentID and returns the refund's
// id. idempotencyKey must name this one refund (for example after the
// order and the refund row), so that retrying it never refunds twice.
func (s *Stripe) Refund(ctx context.Context, paymentIntentID string, amount int64, idempotencyKey string) (refundID string, err error) {
	defer wrap(&err, "Stripe.Refund(%q, %d)", paymentIntentID, amount)
	switch {
	case paymentIntentID == "":
		return "", errors.New("no payment intent to refund")
	case idempotencyKey == "":
		return "", errors.New("a refund needs an idempotency key")
	case amount < 0:
		return "", admit.FieldError("amount", "The refund amount cannot be negative.")
	}
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(paymentIntentID)}
	if amount > 0 {
		params.Amount = stripe.Int64(amount)
	}
	params.SetIdempotencyKey(idempotencyKey)
	refund, err := s.client.V1Refunds.Create(ctx, params)
	if err != nil {
		return "", providerError(err)
	}
	return refund.ID, nil
}

// providerError turns a failed API call into an error the caller can act
// on. Anything that is not an answer from Stripe (no connection, a timeout,
// a proxy's error page) means Stripe is unavailable and the request may be
// retried: the idempotency key makes that safe.
func providerError(err error) error {
	var se *stripe.Error
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case !errors.As(err, &se):
		return fmt.Errorf("%w: %w", admit.Errorf(admit.EUNAVAILABLE, unreachableMessage), err)
	case se.HTTPStatusCode >= 500 || se.HTTPStatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %w", admit.Errorf(admit.EUNAVAILABLE, unreachableMessage), err)
	case se.Code == stripe.ErrorCodeChargeAlreadyRefunded:
		return fmt.Errorf("%w: %w", admit.Errorf(admit.ECONFLICT, "This payment has already been refunded."), err)
	case se.Code == stripe.ErrorCodeAmountTooLarge:
		return fmt.Errorf("%w: %w", admit.FieldError("amount", "The amount is more than what is left to refund."), err)
	}
	// Invalid requests, bad keys and idempotency mismatches are admit's
	// own faults: internal errors, with Stripe's explanation for the log.
	return err
}

// ParseWebhook verifies that payload was signed by Stripe with the
// endpoint's secret (the Stripe-Signature header) no more than five minutes
// ago, and returns what the event means for an order. A missing, malformed,
// stale or wrong signature is EUNAUTHORIZED; a verified event that admit
// acts on but that lacks the order's metadata is EINVALID.
func (s *Stripe) ParseWebhook(payload []byte, signatureHeader string) (_ *Notification, err error) {
	defer wrap(&err, "Stripe.ParseWebhook")
	event, err := webhook.ConstructEventWithOptions(payload, signatureHeader, s.webhookSecret,
		webhook.ConstructEventOptions{
			Tolerance: webhook.DefaultTolerance,
			// The account's webhook endpoint may be pinned to another API
			// version than stripe-go's; the few fields read here exist in all.
			IgnoreAPIVersionMismatch: true,
		})
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
		return nil, fmt.Errorf("%w: %w", admit.Errorf(admit.EUNAUTHORIZED, "Invalid webhook signature."), err)
	case err != nil:
		// The signature was right, so Stripe sent something we cannot read.
		return nil, fmt.Errorf("%w: %w", admit.Errorf(admit.EINVALID, "Malformed webhook payload."), err)
	case event.Data == nil || len(event.Data.Raw) == 0:
		return nil, admit.Errorf(admit.EINVALID, "Webhook event %s has no object.", event.ID)
	}

	n := &Notification{EventID: event.ID, Type: string(event.Type), Kind: Ignored}
	var metadata map[string]string
	switch event.Type {
	case stripe.EventTypeCheckoutSessionCompleted,
		stripe.EventTypeCheckoutSessionAsyncPaymentSucceeded,
		stripe.EventTypeCheckoutSessionAsyncPaymentFailed,
		stripe.EventTypeCheckoutSessionExpired:
		var cs stripe.CheckoutSession
		if err := json.Unmarshal(event.Data.Raw, &cs); err != nil {
			return nil, fmt.Errorf("%w: %w", admit.Errorf(admit.EINVALID, "Malformed checkout session in event %s.", event.ID), err)
		}
		switch {
		case event.Type == stripe.EventTypeCheckoutSessionExpired:
			n.Kind = Expired
		case event.Type == stripe.EventTypeCheckoutSessionAsyncPaymentFailed:
			n.Kind = Failed
		case cs.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid:
			// A completed session with a delayed payment method (SEPA
			// debit, bank transfer) is still "unpaid"; its outcome comes
			// later as async_payment_succeeded or async_payment_failed.
			n.Kind = Paid
		}
		n.Ref = cs.ID
		if cs.PaymentIntent != nil {
			n.PaymentIntent = cs.PaymentIntent.ID
		}
		n.Amount, n.Currency = cs.AmountTotal, strings.ToUpper(string(cs.Currency))
		metadata = cs.Metadata
	case stripe.EventTypePaymentIntentSucceeded, stripe.EventTypePaymentIntentPaymentFailed:
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(event.Data.Raw, &pi); err != nil {
			return nil, fmt.Errorf("%w: %w", admit.Errorf(admit.EINVALID, "Malformed payment intent in event %s.", event.ID), err)
		}
		n.Kind, n.Amount = Failed, pi.Amount
		if event.Type == stripe.EventTypePaymentIntentSucceeded {
			n.Kind, n.Amount = Paid, pi.AmountReceived
		}
		n.Ref, n.PaymentIntent = pi.ID, pi.ID
		n.Currency = strings.ToUpper(string(pi.Currency))
		metadata = pi.Metadata
	}

	orderID, orgID, ok := orderFromMetadata(metadata)
	if !ok && n.Kind != Ignored {
		return nil, admit.Errorf(admit.EINVALID, "Webhook event %s (%s) does not name an order.", event.ID, event.Type)
	}
	n.OrderID, n.OrganizationID = orderID, orgID
	return n, nil
}

// orderFromMetadata reads the ids Start attached; ok is false unless both are
// positive integers.
func orderFromMetadata(m map[string]string) (orderID, organizationID int64, ok bool) {
	orderID, err1 := strconv.ParseInt(m[metadataOrderID], 10, 64)
	organizationID, err2 := strconv.ParseInt(m[metadataOrganizationID], 10, 64)
	if err1 != nil || err2 != nil || orderID <= 0 || organizationID <= 0 {
		return 0, 0, false
	}
	return orderID, organizationID, true
}
