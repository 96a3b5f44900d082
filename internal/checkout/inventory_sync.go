package checkout

import (
	"context"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// SyncTicketType sets the gate's counter for the ticket type to the
// ledger's availability (quantity - reserved - sold), after an organizer
// changed its quantity. The figure is read back from MySQL and written
// whole, never adjusted by a difference, so a lost or doubled call cannot
// leave the counter off; a hold racing the sync may leave it off by that
// hold until the reconciler's next pass, and the ledger decides anyway.
// Without a gate it does nothing.
func (c *Checkout) SyncTicketType(ctx context.Context, ticketTypeID int64) error {
	if c.gate == nil {
		return nil
	}
	avail, err := c.ledger.Availability(ctx, []int64{ticketTypeID})
	if err != nil {
		return err
	}
	n, ok := avail[ticketTypeID]
	if !ok {
		return nil // deleted meanwhile: no counter to keep
	}
	return c.gate.Set(ctx, ticketTypeID, n)
}

// OfferWaitlist sets a ticket aside for a person on the waiting list for
// ttl, then brings the gate's counter in line with the ledger.
func (c *Checkout) OfferWaitlist(ctx context.Context, orgID, entryID int64, ttl time.Duration) (*admit.WaitlistEntry, error) {
	e, _, err := c.ledger.OfferWaitlist(ctx, orgID, entryID, ttl)
	if err != nil {
		return nil, err
	}
	if err := c.SyncTicketType(ctx, e.TicketTypeID); err != nil {
		c.logger.Warn("inventory gate: sync after a waiting-list offer failed; the reconciler will correct it", "err", err)
	}
	return e, nil
}
