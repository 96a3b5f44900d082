package admit

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// WaitlistEntry is a person waiting for a sold-out ticket type, with the
// state of the offer made to them.
type WaitlistEntry struct {
	ID           int64  `json:"id"`
	EventID      int64  `json:"event_id"`
	TicketTypeID int64  `json:"ticket_type_id"`
	TicketType   string `json:"ticket_type"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Quantity     int    `json:"quantity"`
	// OfferState is "" (no offer yet), OfferOpen, OfferAccepted or
	// OfferExpired.
	OfferState  string     `json:"offer_state"`
	OfferedAt   *time.Time `json:"offered_at"`
	OfferEndsAt *time.Time `json:"offer_ends_at"`
}

// States of a waiting-list offer.
const (
	OfferOpen     = "open"
	OfferAccepted = "accepted"
	OfferExpired  = "expired"
)

// WaitlistService reads waiting lists and makes offers.
type WaitlistService struct{ c *Client }

// Waitlist returns the service for events' waiting lists.
func (c *Client) Waitlist() *WaitlistService { return &WaitlistService{c} }

// List returns one page of the event's waiting list, first come first.
func (s *WaitlistService) List(ctx context.Context, eventID int64, p ListParams) (*Page[WaitlistEntry], error) {
	path, err := idPath("/events/%d/waitlist", eventID)
	if err != nil {
		return nil, err
	}
	return list[WaitlistEntry](ctx, s.c, path, p.values())
}

// All iterates over the event's whole waiting list.
func (s *WaitlistService) All(ctx context.Context, eventID int64, p ListParams) iter.Seq2[WaitlistEntry, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[WaitlistEntry], error) { return s.List(ctx, eventID, p) })
}

// Offer sets a ticket aside for the entry's person for hours (1 to 336;
// 0 means the server's 48) and emails them the link. An entry with an open
// or accepted offer, or a sold-out ticket type, is an *Error with status
// 409.
func (s *WaitlistService) Offer(ctx context.Context, entryID int64, hours int, opts ...RequestOption) (*WaitlistEntry, error) {
	path, err := idPath("/waitlist/%d/offer", entryID)
	if err != nil {
		return nil, err
	}
	body := map[string]any{}
	if hours != 0 {
		body["hours"] = hours
	}
	return call[WaitlistEntry](ctx, s.c, http.MethodPost, path, nil, body, opts)
}
