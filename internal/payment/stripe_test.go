package payment

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
)

const testWebhookSecret = "whsec_test_admit"

func testOrder() *admit.Order {
	return &admit.Order{
		ID:             4711,
		OrganizationID: 42,
		EventID:        7,
		Reference:      "ADM-7K3Q",
		Currency:       "EUR",
		Total:          2*2500 + 1*1000,
		BuyerEmail:     "ada@example.com",
		Lines: []admit.OrderLine{
			{TicketTypeID: 11, Name: "General admission", Quantity: 2, UnitPrice: 2500},
			{TicketTypeID: 12, Name: "Workshop", Quantity: 1, UnitPrice: 1000},
		},
	}
}

func TestStripeStart(t *testing.T) {
	base, rec := mustRecordingProxy(t, stripeMockURL(t))
	s := NewStripe(StripeOptions{SecretKey: testSecretKey, WebhookSecret: testWebhookSecret, APIBase: base})
	if got := s.Name(); got != "stripe" {
		t.Errorf("Name() = %q, want stripe", got)
	}
	ctx := context.Background()
	o := testOrder()
	const success, cancel = "https://tickets.example/o/ADM-7K3Q/paid", "https://tickets.example/o/ADM-7K3Q"

	first, err := s.Start(ctx, o, success, cancel)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.Ref, "cs_") || first.RedirectURL == "" {
		t.Errorf("Start() = %+v, want a checkout session id and a payment page URL", first)
	}
	if _, err := url.ParseRequestURI(first.RedirectURL); err != nil {
		t.Errorf("RedirectURL %q is not a URL: %v", first.RedirectURL, err)
	}
	// A retried start, e.g. a buyer pressing "Pay" twice, must reach Stripe
	// with the same key so that Stripe returns the first session.
	if _, err := s.Start(ctx, o, success, cancel); err != nil {
		t.Fatal(err)
	}

	wantForm := url.Values{
		"mode":                      {"payment"},
		"success_url":               {success},
		"cancel_url":                {cancel},
		"client_reference_id":       {"ADM-7K3Q"},
		"customer_email":            {"ada@example.com"},
		"metadata[order_id]":        {"4711"},
		"metadata[organization_id]": {"42"},
		"payment_intent_data[metadata][order_id]":        {"4711"},
		"payment_intent_data[metadata][organization_id]": {"42"},
		"line_items[0][quantity]":                        {"2"},
		"line_items[0][price_data][currency]":            {"eur"},
		"line_items[0][price_data][unit_amount]":         {"2500"},
		"line_items[0][price_data][product_data][name]":  {"General admission"},
		"line_items[1][quantity]":                        {"1"},
		"line_items[1][price_data][currency]":            {"eur"},
		"line_items[1][price_data][unit_amount]":         {"1000"},
		"line_items[1][price_data][product_data][name]":  {"Workshop"},
	}
	reqs := rec.all()
	if len(reqs) != 2 {
		t.Fatalf("stripe-mock received %d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		t.Run(fmt.Sprintf("request %d", i+1), func(t *testing.T) {
			if r.Method != http.MethodPost || r.Path != "/v1/checkout/sessions" {
				t.Errorf("request = %s %s, want POST /v1/checkout/sessions", r.Method, r.Path)
			}
			if got, want := r.Header.Get("Idempotency-Key"), "admit-order-4711"; got != want {
				t.Errorf("Idempotency-Key = %q, want %q", got, want)
			}
			if got, want := r.Header.Get("Authorization"), "Bearer "+testSecretKey; got != want {
				t.Errorf("Authorization = %q, want %q", got, want)
			}
			if diff := cmp.Diff(wantForm, r.Form); diff != "" {
				t.Errorf("form body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStripeStartRefusesMismatchedTotal(t *testing.T) {
	base, rec := mustRecordingProxy(t, stripeMockURL(t))
	s := NewStripe(StripeOptions{SecretKey: testSecretKey, APIBase: base})
	o := testOrder()
	o.Total++
	_, err := s.Start(context.Background(), o, "https://tickets.example/ok", "https://tickets.example/cancel")
	if err == nil {
		t.Fatal("Start() of an order whose lines do not add up to its total succeeded")
	}
	if got := admit.ErrorCode(err); got != admit.EINTERNAL {
		t.Errorf("ErrorCode = %q, want %q (err: %v)", got, admit.EINTERNAL, err)
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("Stripe received %d requests, want none", n)
	}
}

// closedAddress returns a local address nothing listens on.
func closedAddress(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestStripeUnreachable(t *testing.T) {
	s := NewStripe(StripeOptions{
		SecretKey:  testSecretKey,
		APIBase:    "http://" + closedAddress(t),
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
	})
	ctx := context.Background()
	_, startErr := s.Start(ctx, testOrder(), "https://tickets.example/ok", "https://tickets.example/cancel")
	_, refundErr := s.Refund(ctx, "pi_123", 0, "admit-refund-1")
	for _, tc := range []struct {
		name string
		err  error
	}{
		{name: "start", err: startErr},
		{name: "refund", err: refundErr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := admit.ErrorCode(tc.err); got != admit.EUNAVAILABLE {
				t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, admit.EUNAVAILABLE, tc.err)
			}
			if got, want := admit.ErrorMessage(tc.err), "The payment provider is unreachable; please try again."; got != want {
				t.Errorf("ErrorMessage = %q, want %q", got, want)
			}
		})
	}
}

func TestStripeRefund(t *testing.T) {
	base, rec := mustRecordingProxy(t, stripeMockURL(t))
	s := NewStripe(StripeOptions{SecretKey: testSecretKey, APIBase: base})
	ctx := context.Background()

	tests := []struct {
		name     string
		amount   int64
		key      string
		wantForm url.Values
	}{
		{
			name:     "full",
			amount:   0,
			key:      "admit-refund-4711-1",
			wantForm: url.Values{"payment_intent": {"pi_3Abc"}},
		},
		{
			name:     "partial",
			amount:   2500,
			key:      "admit-refund-4711-2",
			wantForm: url.Values{"payment_intent": {"pi_3Abc"}, "amount": {"2500"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.all())
			id, err := s.Refund(ctx, "pi_3Abc", tc.amount, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(id, "re_") {
				t.Errorf("Refund() = %q, want a refund id", id)
			}
			reqs := rec.all()[before:]
			if len(reqs) != 1 {
				t.Fatalf("stripe-mock received %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/v1/refunds" {
				t.Errorf("request = %s %s, want POST /v1/refunds", r.Method, r.Path)
			}
			if got := r.Header.Get("Idempotency-Key"); got != tc.key {
				t.Errorf("Idempotency-Key = %q, want %q", got, tc.key)
			}
			if diff := cmp.Diff(tc.wantForm, r.Form); diff != "" {
				t.Errorf("form body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStripeRefundRefusesBadInput(t *testing.T) {
	base, rec := mustRecordingProxy(t, stripeMockURL(t))
	s := NewStripe(StripeOptions{SecretKey: testSecretKey, APIBase: base})
	tests := []struct {
		name          string
		paymentIntent string
		amount        int64
		key           string
		wantCode      string
	}{
		{name: "no idempotency key", paymentIntent: "pi_3Abc", key: "", wantCode: admit.EINTERNAL},
		{name: "no payment intent", paymentIntent: "", key: "k", wantCode: admit.EINTERNAL},
		{name: "negative amount", paymentIntent: "pi_3Abc", amount: -1, key: "k", wantCode: admit.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Refund(context.Background(), tc.paymentIntent, tc.amount, tc.key)
			if err == nil {
				t.Fatal("Refund() succeeded")
			}
			if got := admit.ErrorCode(err); got != tc.wantCode {
				t.Errorf("ErrorCode = %q, want %q (err: %v)", got, tc.wantCode, err)
			}
		})
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("Stripe received %d requests, want none", n)
	}
}

// TestStripeErrorCodes covers answers stripe-mock cannot give, since it
// keeps no state: a server answers as Stripe documents its errors.
func TestStripeErrorCodes(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
	}{
		{
			name:     "already refunded",
			status:   http.StatusBadRequest,
			body:     `{"error":{"type":"invalid_request_error","code":"charge_already_refunded","message":"Charge ch_1 has already been refunded."}}`,
			wantCode: admit.ECONFLICT,
		},
		{
			name:     "amount too large",
			status:   http.StatusBadRequest,
			body:     `{"error":{"type":"invalid_request_error","code":"amount_too_large","param":"amount","message":"Refund amount is greater than unrefunded amount on charge."}}`,
			wantCode: admit.EINVALID,
		},
		{
			name:     "bad key",
			status:   http.StatusUnauthorized,
			body:     `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_***"}}`,
			wantCode: admit.EINTERNAL,
		},
		{
			name:     "server error",
			status:   http.StatusInternalServerError,
			body:     `{"error":{"type":"api_error","message":"Something went wrong."}}`,
			wantCode: admit.EUNAVAILABLE,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Stripe-Should-Retry", "false")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			s := NewStripe(StripeOptions{SecretKey: testSecretKey, APIBase: srv.URL})
			_, err := s.Refund(context.Background(), "pi_3Abc", 0, "admit-refund-1")
			if got := admit.ErrorCode(err); got != tc.wantCode {
				t.Errorf("ErrorCode = %q, want %q (err: %v)", got, tc.wantCode, err)
			}
		})
	}
}

func TestStripeRejectedKey(t *testing.T) {
	// stripe-mock, like Stripe in test mode, refuses anything but a test key.
	s := NewStripe(StripeOptions{SecretKey: "sk_live_123", APIBase: stripeMockURL(t)})
	_, err := s.Refund(context.Background(), "pi_3Abc", 0, "admit-refund-1")
	if err == nil {
		t.Fatal("Refund() with a rejected key succeeded")
	}
	if got := admit.ErrorCode(err); got != admit.EINTERNAL {
		t.Errorf("ErrorCode = %q, want %q: a bad key is not an outage to retry (err: %v)", got, admit.EINTERNAL, err)
	}
}
