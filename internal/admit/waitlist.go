package admit

import "time"

// WaitlistEntry is one person waiting for a sold-out ticket type, with the
// state of the offer made to them, if any.
type WaitlistEntry struct {
	ID             int64
	OrganizationID int64
	EventID        int64
	TicketTypeID   int64
	TicketType     string
	Name           string
	Email          string
	Quantity       int
	HoldID         string
	OfferedAt      time.Time
	// OfferState is "", "open", "accepted" or "expired".
	OfferState string
	OfferEnds  time.Time
}

// WaitlistOfferEmail is what the offer email needs.
type WaitlistOfferEmail struct {
	Name, Email, Organization, TicketType string
	EventID                               int64
	HoldID                                string
	ExpiresAt                             time.Time
}
