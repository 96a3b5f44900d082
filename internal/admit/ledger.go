package admit

import "time"

// PlaceOrder is what turns a hold into an order.
type PlaceOrder struct {
	HoldID  string
	Request OrderRequest
	// PendingFor is how long a pending order waits for its payment before it
	// is cancelled; zero waits for ever. An offline order waits the days
	// to pay its event sets instead (PaymentInstructions.PendingFor).
	PendingFor time.Duration
	// Authorize, if set, says whether the request may act on the hold
	// (admit.Hold.AnswersTo); if not, the hold is not found. It runs
	// before anything else, a replayed response included.
	Authorize func(h *Hold) bool
	// Check, if set, validates the request against the hold as the
	// transaction reads it, before anything is written, and may normalize
	// it; its error refuses this order only. It runs inside the batch's
	// transaction: it must not wait on anything but memory.
	Check func(h *Hold, req *OrderRequest) error
	// Key, if set, makes the request idempotent in the same transaction
	// as the order: its response is stored with it, so a repeat gets it.
	Key *OrderKey
}

// OrderKey is an Idempotency-Key sent with an order, and how to render the
// response that is stored for its repeats.
type OrderKey struct {
	Scope string
	Key   string
	Hash  []byte // of the request: the same key with another request is refused
	// Render returns the response the client is given for the outcome:
	// the order (existing: it was placed before, from the same hold) or
	// the error that refused it. A response of 500 or more is not stored,
	// so a repeat runs again.
	Render func(o *Order, existing bool, err error) (status int, body []byte)
}

// PlacedOrder is PlaceOrderKeyed's outcome.
type PlacedOrder struct {
	Order *Order
	// Existing is true when the hold had already become this order (a
	// double submit).
	Existing bool
	// Response is what was stored for the key: this request's own
	// response, or, with Replayed, the first request's.
	Response *StoredResponse
	Replayed bool
}
