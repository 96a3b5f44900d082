package payment

import (
	"context"

	"github.com/admithq/admit/internal/admit"
)

// OfflineRef is the payment reference of every offline payment: there is no
// provider-side object to point to.
const OfflineRef = "offline"

// Offline is payment outside admit: bank transfer or pay at the door. Start
// records nothing with anyone; an organizer marks the order paid by hand
// once the money has arrived.
type Offline struct {
	// Instructions tell buyers how to pay (account number, reference to
	// quote, what to bring to the door); shown after ordering and in the
	// confirmation email.
	Instructions string
}

var _ Provider = (*Offline)(nil)

// Name returns "offline".
func (*Offline) Name() string { return "offline" }

// Start returns the offline reference and no redirect: the buyer stays on
// admit's own pages and reads the Instructions.
func (*Offline) Start(ctx context.Context, o *admit.Order, successURL, cancelURL string) (*Started, error) {
	return &Started{Ref: OfflineRef}, nil
}
