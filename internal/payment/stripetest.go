package payment

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// This file helps tests, here and in the packages that receive webhooks,
// send Stripe events exactly as Stripe signs them.

// SignStripeEvent returns the Stripe-Signature header value Stripe would
// send with payload, signed with secret at ts.
func SignStripeEvent(secret string, payload []byte, ts time.Time) (header string) {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload:   payload,
		Secret:    secret,
		Timestamp: ts,
	}).Header
}

// StripeEventPayload returns the JSON of a Stripe event with id and type
// eventType around object (a checkout session, a payment intent…), shaped
// as Stripe delivers it to webhook endpoints. It panics if object cannot be
// encoded as JSON, which only a broken test can cause.
func StripeEventPayload(id, eventType string, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id":               id,
		"object":           "event",
		"type":             eventType,
		"api_version":      stripe.APIVersion,
		"created":          time.Now().Unix(),
		"livemode":         false,
		"pending_webhooks": 1,
		"request":          map[string]any{"id": nil, "idempotency_key": nil},
		"data":             map[string]any{"object": object},
	})
	if err != nil {
		panic(fmt.Sprintf("payment: encoding Stripe event %s: %v", id, err))
	}
	return b
}
