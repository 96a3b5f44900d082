package payment

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
)

// checkoutSession is a checkout session object as Stripe sends it in
// events, for order 4711 of organization 42 unless metadata says otherwise.
func checkoutSession(paymentStatus string, metadata map[string]any) map[string]any {
	return map[string]any{
		"id":                  "cs_test_a1B2c3",
		"object":              "checkout.session",
		"amount_subtotal":     6000,
		"amount_total":        6000,
		"client_reference_id": "ADM-7K3Q",
		"currency":            "eur",
		"customer_email":      "ada@example.com",
		"livemode":            false,
		"metadata":            metadata,
		"mode":                "payment",
		"payment_intent":      "pi_3Abc",
		"payment_status":      paymentStatus,
		"status":              "complete",
		"url":                 nil,
	}
}

func paymentIntent(status string, amountReceived int64) map[string]any {
	return map[string]any{
		"id":              "pi_3Abc",
		"object":          "payment_intent",
		"amount":          6000,
		"amount_received": amountReceived,
		"currency":        "eur",
		"livemode":        false,
		"metadata":        orderMetadata,
		"status":          status,
	}
}

var orderMetadata = map[string]any{"order_id": "4711", "organization_id": "42"}

func TestStripeParseWebhook(t *testing.T) {
	s := NewStripe(StripeOptions{SecretKey: testSecretKey, WebhookSecret: testWebhookSecret})
	now := time.Now()
	sign := func(payload []byte) string { return SignStripeEvent(testWebhookSecret, payload, now) }

	paid := StripeEventPayload("evt_1", "checkout.session.completed", checkoutSession("paid", orderMetadata))
	paidNotification := &Notification{
		EventID: "evt_1", Type: "checkout.session.completed", Kind: Paid,
		OrderID: 4711, OrganizationID: 42, Ref: "cs_test_a1B2c3", PaymentIntent: "pi_3Abc",
		Amount: 6000, Currency: "EUR",
	}
	// An endpoint pinned to an older API version than stripe-go's.
	olderVersion := withAPIVersion(t, paid, "2020-08-27")
	tampered := []byte(strings.Replace(string(paid), `"amount_total":6000`, `"amount_total":1`, 1))
	if string(tampered) == string(paid) {
		t.Fatal("tampering did not change the payload")
	}
	notJSON := []byte("not json")

	tests := []struct {
		name     string
		payload  []byte
		header   string
		want     *Notification
		wantCode string
	}{
		{
			name:    "checkout session paid",
			payload: paid,
			header:  sign(paid),
			want:    paidNotification,
		},
		{
			name:    "event of another API version",
			payload: olderVersion,
			header:  sign(olderVersion),
			want:    paidNotification,
		},
		{
			name:    "checkout session completed but not yet paid",
			payload: StripeEventPayload("evt_2", "checkout.session.completed", checkoutSession("unpaid", orderMetadata)),
			want: &Notification{
				EventID: "evt_2", Type: "checkout.session.completed", Kind: Ignored,
				OrderID: 4711, OrganizationID: 42, Ref: "cs_test_a1B2c3", PaymentIntent: "pi_3Abc",
				Amount: 6000, Currency: "EUR",
			},
		},
		{
			name:    "delayed payment succeeded",
			payload: StripeEventPayload("evt_3", "checkout.session.async_payment_succeeded", checkoutSession("paid", orderMetadata)),
			want: &Notification{
				EventID: "evt_3", Type: "checkout.session.async_payment_succeeded", Kind: Paid,
				OrderID: 4711, OrganizationID: 42, Ref: "cs_test_a1B2c3", PaymentIntent: "pi_3Abc",
				Amount: 6000, Currency: "EUR",
			},
		},
		{
			name:    "delayed payment failed",
			payload: StripeEventPayload("evt_4", "checkout.session.async_payment_failed", checkoutSession("unpaid", orderMetadata)),
			want: &Notification{
				EventID: "evt_4", Type: "checkout.session.async_payment_failed", Kind: Failed,
				OrderID: 4711, OrganizationID: 42, Ref: "cs_test_a1B2c3", PaymentIntent: "pi_3Abc",
				Amount: 6000, Currency: "EUR",
			},
		},
		{
			name:    "checkout session expired",
			payload: StripeEventPayload("evt_5", "checkout.session.expired", checkoutSession("unpaid", orderMetadata)),
			want: &Notification{
				EventID: "evt_5", Type: "checkout.session.expired", Kind: Expired,
				OrderID: 4711, OrganizationID: 42, Ref: "cs_test_a1B2c3", PaymentIntent: "pi_3Abc",
				Amount: 6000, Currency: "EUR",
			},
		},
		{
			name:    "payment intent succeeded",
			payload: StripeEventPayload("evt_6", "payment_intent.succeeded", paymentIntent("succeeded", 6000)),
			want: &Notification{
				EventID: "evt_6", Type: "payment_intent.succeeded", Kind: Paid,
				OrderID: 4711, OrganizationID: 42, Ref: "pi_3Abc", PaymentIntent: "pi_3Abc",
				Amount: 6000, Currency: "EUR",
			},
		},
		{
			name:    "payment intent failed",
			payload: StripeEventPayload("evt_7", "payment_intent.payment_failed", paymentIntent("requires_payment_method", 0)),
			want: &Notification{
				EventID: "evt_7", Type: "payment_intent.payment_failed", Kind: Failed,
				OrderID: 4711, OrganizationID: 42, Ref: "pi_3Abc", PaymentIntent: "pi_3Abc",
				Amount: 6000, Currency: "EUR",
			},
		},
		{
			name:    "event type not acted on",
			payload: StripeEventPayload("evt_8", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}),
			want:    &Notification{EventID: "evt_8", Type: "customer.created", Kind: Ignored},
		},
		{
			name:     "paid without metadata",
			payload:  StripeEventPayload("evt_9", "checkout.session.completed", checkoutSession("paid", map[string]any{})),
			wantCode: admit.EINVALID,
		},
		{
			name:     "paid with unreadable order id",
			payload:  StripeEventPayload("evt_10", "payment_intent.succeeded", map[string]any{"id": "pi_1", "object": "payment_intent", "amount_received": 6000, "currency": "eur", "metadata": map[string]any{"order_id": "ADM-7K3Q", "organization_id": "42"}}),
			wantCode: admit.EINVALID,
		},
		{
			name:     "signed but not JSON",
			payload:  notJSON,
			header:   sign(notJSON),
			wantCode: admit.EINVALID,
		},
		{
			name:     "bad signature",
			payload:  paid,
			header:   fmt.Sprintf("t=%d,v1=%s", now.Unix(), strings.Repeat("ab", 32)),
			wantCode: admit.EUNAUTHORIZED,
		},
		{
			name:     "garbled header",
			payload:  paid,
			header:   "garbage",
			wantCode: admit.EUNAUTHORIZED,
		},
		{
			name:     "missing header",
			payload:  paid,
			header:   "-",
			wantCode: admit.EUNAUTHORIZED,
		},
		{
			name:     "signed with another secret",
			payload:  paid,
			header:   SignStripeEvent("whsec_someone_else", paid, now),
			wantCode: admit.EUNAUTHORIZED,
		},
		{
			name:     "tampered payload",
			payload:  tampered,
			header:   sign(paid),
			wantCode: admit.EUNAUTHORIZED,
		},
		{
			name:     "signed an hour ago",
			payload:  paid,
			header:   SignStripeEvent(testWebhookSecret, paid, now.Add(-time.Hour)),
			wantCode: admit.EUNAUTHORIZED,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			header := tc.header
			switch header {
			case "":
				header = sign(tc.payload)
			case "-":
				header = ""
			}
			got, err := s.ParseWebhook(tc.payload, header)
			if tc.wantCode != "" {
				if got := admit.ErrorCode(err); got != tc.wantCode {
					t.Fatalf("ErrorCode = %q, want %q (err: %v)", got, tc.wantCode, err)
				}
				if got != nil {
					t.Errorf("ParseWebhook() = %+v along with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseWebhook() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// withAPIVersion returns the event payload with its api_version replaced.
func withAPIVersion(tb testing.TB, payload []byte, version string) []byte {
	tb.Helper()
	var event map[string]any
	if err := json.Unmarshal(payload, &event); err != nil {
		tb.Fatal(err)
	}
	event["api_version"] = version
	b, err := json.Marshal(event)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
