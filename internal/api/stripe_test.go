package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/payment"
)

// mustStripeOrder places an order for two paid tickets with Stripe and
// returns its id and what the API answered.
func (f *fixture) mustStripeOrder(t *testing.T) (orderID int64, o map[string]any) {
	t.Helper()
	hold := f.mustHold(t, items(f.paid.ID, "2"))
	r := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json",
		`{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"Ada"},{"name":"Grace"}],"payment_method":"stripe"}`, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("stripe order: %d %s", r.status, r.body)
	}
	o = r.json(t)
	if err := f.db.SQL().QueryRow(`SELECT id FROM orders WHERE reference = ?`, o["reference"]).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	return orderID, o
}

func (f *fixture) sendStripe(t *testing.T, id, eventType string, object map[string]any, secret string) response {
	t.Helper()
	payload := payment.StripeEventPayload(id, eventType, object)
	return f.do(t, "POST", "/webhooks/stripe", "application/json", string(payload),
		map[string]string{"Stripe-Signature": payment.SignStripeEvent(secret, payload, time.Now())})
}

func (f *fixture) session(orderID int64, paymentStatus string) map[string]any {
	return map[string]any{
		"id": "cs_test_" + strconv.FormatInt(orderID, 10), "object": "checkout.session", "amount_total": 10000, "currency": "eur",
		"payment_intent": "pi_test_" + strconv.FormatInt(orderID, 10), "payment_status": paymentStatus, "status": "complete", "mode": "payment",
		"metadata": map[string]any{"order_id": strconv.FormatInt(orderID, 10), "organization_id": strconv.FormatInt(f.org.ID, 10)},
	}
}

type orderState struct {
	status                            string
	validTickets, confirmations, sold int
}

func (f *fixture) orderState(t *testing.T, orderID int64) orderState {
	t.Helper()
	var s orderState
	db := f.db.SQL()
	db.QueryRow(`SELECT status FROM orders WHERE id = ?`, orderID).Scan(&s.status)
	db.QueryRow(`SELECT COUNT(*) FROM tickets WHERE order_id = ? AND status = 'valid'`, orderID).Scan(&s.validTickets)
	db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'email.order_confirmation' AND payload = ?`, `{"order_id":`+strconv.FormatInt(orderID, 10)+`}`).Scan(&s.confirmations)
	_, s.sold = f.counters(t, f.paid)
	return s
}

// TestStripePaymentEndToEnd runs the Stripe path against stripe-mock: the
// order creates its checkout session with the order id as idempotency key,
// then Stripe's signed webhook marks it paid and issues tickets once, however
// often and in whatever order Stripe's events arrive.
func TestStripePaymentEndToEnd(t *testing.T) {
	f := mustFixture(t)
	orderID, o := f.mustStripeOrder(t)
	if o["status"] != "pending" || o["payment_url"] == "" || o["payment_url"] == nil || len(o["tickets"].([]any)) != 0 {
		t.Fatalf("stripe order answer: %v", o)
	}
	sessions := f.stripe.find("POST", "/v1/checkout/sessions")
	if len(sessions) != 1 {
		t.Fatalf("%d checkout sessions created, want 1", len(sessions))
	}
	s := sessions[0]
	if want := "admit-order-" + strconv.FormatInt(orderID, 10); s.idempotencyKey != want {
		t.Errorf("session idempotency key %q, want %q", s.idempotencyKey, want)
	}
	if s.form.Get("line_items[0][price_data][unit_amount]") != "5000" || s.form.Get("line_items[0][quantity]") != "2" ||
		s.form.Get("line_items[0][price_data][currency]") != "eur" || s.form.Get("metadata[order_id]") != strconv.FormatInt(orderID, 10) {
		t.Errorf("session request does not describe the order: %v", s.form)
	}

	// A forged event changes nothing.
	if r := f.sendStripe(t, "evt_forged", "checkout.session.completed", f.session(orderID, "paid"), "whsec_not_ours"); r.status != http.StatusUnauthorized {
		t.Errorf("forged webhook: %d %s, want 401", r.status, r.body)
	}
	if st := f.orderState(t, orderID); st.status != "pending" || st.validTickets != 0 {
		t.Fatalf("after a forged webhook: %+v", st)
	}

	// The real one pays the order, then duplicates and a later
	// payment_intent.succeeded for the same payment change nothing.
	for i, ev := range []struct{ id, typ string }{
		{"evt_1", "checkout.session.completed"},
		{"evt_1", "checkout.session.completed"},
		{"evt_2", "payment_intent.succeeded"},
		{"evt_1", "checkout.session.completed"},
	} {
		object := f.session(orderID, "paid")
		if ev.typ == "payment_intent.succeeded" {
			object = map[string]any{"id": "pi_test_1", "object": "payment_intent", "amount": 10000, "amount_received": 10000,
				"currency": "eur", "status": "succeeded", "metadata": object["metadata"]}
		}
		if r := f.sendStripe(t, ev.id, ev.typ, object, webhookSecret); r.status != http.StatusOK {
			t.Fatalf("delivery %d (%s): %d %s", i, ev.typ, r.status, r.body)
		}
		if st := f.orderState(t, orderID); st != (orderState{"paid", 2, 1, 2}) {
			t.Fatalf("after delivery %d (%s): %+v, want paid with 2 tickets, 1 confirmation, 2 sold", i, ev.typ, st)
		}
	}
	// An expiry that arrives late does not cancel a paid order.
	if r := f.sendStripe(t, "evt_3", "checkout.session.expired", f.session(orderID, "unpaid"), webhookSecret); r.status != http.StatusOK {
		t.Fatalf("late expiry: %d %s", r.status, r.body)
	}
	if st := f.orderState(t, orderID); st.status != "paid" {
		t.Fatalf("late expiry changed the order: %+v", st)
	}
	// The buyer now sees tickets with codes.
	r := f.do(t, "GET", "/api/checkout/v1/orders/"+o["reference"].(string)+"?token="+o["token"].(string), "", "", nil)
	if got := r.json(t); r.status != 200 || got["status"] != "paid" || len(got["tickets"].([]any)) != 2 {
		t.Errorf("buyer's view: %d %s", r.status, r.body)
	}
	if r := f.do(t, "GET", "/api/checkout/v1/orders/"+o["reference"].(string)+"?token=wrong", "", "", nil); r.status != 404 {
		t.Errorf("order with a wrong token: %d, want 404", r.status)
	}
	// Submitting the hold again (back button, double click) finds the same
	// paid order and starts no second payment.
	placed, err := f.co.PlaceOrder(t.Context(), holdOf(t, f, orderID), admit.OrderRequest{})
	if err != nil || !placed.Existing || placed.Order.ID != orderID {
		t.Fatalf("repeat of a paid order's hold: %+v, %v", placed, err)
	}
	if n := len(f.stripe.find("POST", "/v1/checkout/sessions")); n != 1 {
		t.Errorf("%d checkout sessions after the repeat, want 1", n)
	}
}

func holdOf(t *testing.T, f *fixture, orderID int64) string {
	t.Helper()
	var hold string
	if err := f.db.SQL().QueryRow(`SELECT hold_id FROM orders WHERE id = ?`, orderID).Scan(&hold); err != nil {
		t.Fatal(err)
	}
	return hold
}

// TestStripeLatePaymentIsRefunded: the session expired (the order was
// cancelled and its tickets went back on sale), then the payment arrived
// anyway. The order stays cancelled and the payment is refunded, once.
func TestStripeLatePaymentIsRefunded(t *testing.T) {
	f := mustFixture(t)
	orderID, _ := f.mustStripeOrder(t)
	if r := f.sendStripe(t, "evt_exp", "checkout.session.expired", f.session(orderID, "unpaid"), webhookSecret); r.status != http.StatusOK {
		t.Fatalf("expiry: %d %s", r.status, r.body)
	}
	if st := f.orderState(t, orderID); st.status != "cancelled" || st.sold != 0 {
		t.Fatalf("after expiry: %+v, want cancelled with tickets back on sale", st)
	}
	for range 2 {
		if r := f.sendStripe(t, "evt_late", "checkout.session.completed", f.session(orderID, "paid"), webhookSecret); r.status != http.StatusOK {
			t.Fatalf("late payment: %d %s", r.status, r.body)
		}
	}
	if st := f.orderState(t, orderID); st.status != "cancelled" || st.validTickets != 0 || st.confirmations != 0 {
		t.Fatalf("after a late payment: %+v, want still cancelled, no tickets, no confirmation", st)
	}
	refunds := f.stripe.find("POST", "/v1/refunds")
	if len(refunds) == 0 {
		t.Fatal("the late payment was not refunded")
	}
	for _, r := range refunds {
		if r.idempotencyKey != "admit-late-refund-"+strconv.FormatInt(orderID, 10) || r.form.Get("payment_intent") != "pi_test_"+strconv.FormatInt(orderID, 10) {
			t.Errorf("refund request %+v", r)
		}
	}
}
