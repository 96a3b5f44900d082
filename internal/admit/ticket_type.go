package admit

import (
	"time"
	"unicode/utf8"
)

// TicketType is a kind of ticket for an event with its price and capacity.
// Reserved counts tickets held by buyers who have not paid yet; Sold counts
// tickets of paid or pending-offline orders. Reserved+Sold never exceeds
// Quantity: the ledger guards it with one conditional UPDATE.
type TicketType struct {
	ID             int64
	OrganizationID int64
	EventID        int64
	Name           string
	Description    string
	Price          int64 // in minor units of the event's currency
	Quantity       int
	Reserved       int
	Sold           int
	SalesStart     time.Time // zero: on sale as soon as the event is published
	SalesEnd       time.Time // zero: on sale until the event starts
	MinPerOrder    int
	MaxPerOrder    int
	Position       int
	Hidden         bool
}

// Availability is what a buyer sees of a ticket type right now.
type Availability string

// Availability states, as the event page shows them.
const (
	OnSale       Availability = "on_sale"
	SoldOut      Availability = "sold_out"
	NotYetOnSale Availability = "not_yet_on_sale"
	SalesEnded   Availability = "ended"
)

// Remaining returns how many tickets can still be held.
func (t *TicketType) Remaining() int {
	r := t.Quantity - t.Reserved - t.Sold
	if r < 0 {
		return 0
	}
	return r
}

// AvailabilityAt returns the ticket type's state at now, for an event that
// starts at eventStart.
func (t *TicketType) AvailabilityAt(now, eventStart time.Time) Availability {
	switch {
	case !t.SalesStart.IsZero() && now.Before(t.SalesStart):
		return NotYetOnSale
	case !t.SalesEnd.IsZero() && !now.Before(t.SalesEnd):
		return SalesEnded
	case t.SalesEnd.IsZero() && !eventStart.IsZero() && !now.Before(eventStart):
		return SalesEnded
	case t.Remaining() == 0:
		return SoldOut
	}
	return OnSale
}

// Validate reports every problem with the ticket type's fields.
func (t *TicketType) Validate() error {
	var p Problems
	if t.Name == "" {
		p.Add("name", "Name is required.")
	} else if len(t.Name) > 200 {
		p.Add("name", "Name must be at most 200 characters.")
	}
	if t.Price < 0 {
		p.Add("price", "Price cannot be negative.")
	} else if t.Price > 100_000_000_00 {
		p.Add("price", "Price is too large.")
	}
	if t.Quantity < 0 {
		p.Add("quantity", "Quantity cannot be negative.")
	} else if t.Quantity > 10_000_000 {
		p.Add("quantity", "Quantity must be at most 10,000,000.")
	}
	if t.MinPerOrder < 1 {
		p.Add("min_per_order", "Minimum per order must be at least 1.")
	}
	if t.MaxPerOrder < t.MinPerOrder {
		p.Add("max_per_order", "Maximum per order must be at least the minimum.")
	} else if t.MaxPerOrder > 100 {
		p.Add("max_per_order", "Maximum per order must be at most 100.")
	}
	if !t.SalesStart.IsZero() && !t.SalesEnd.IsZero() && !t.SalesEnd.After(t.SalesStart) {
		p.Add("sales_end", "Sales end must be after sales start.")
	}
	checkTime(&p, "sales_start", t.SalesStart)
	checkTime(&p, "sales_end", t.SalesEnd)
	return p.Err()
}

// Shortage says which ticket type ran short and how many are left; it is the
// detail of an ESOLDOUT error.
type Shortage struct {
	TicketTypeID int64  `json:"ticket_type_id"`
	Name         string `json:"name"`
	Remaining    int    `json:"remaining"`
}

// Err returns the ESOLDOUT error carrying s.
func (s Shortage) Err() error {
	msg := "Not enough " + s.Name + " tickets left"
	switch s.Remaining {
	case 0:
		msg = s.Name + " is sold out."
	case 1:
		msg += ": only 1 remains."
	default:
		msg += ": only " + itoa(s.Remaining) + " remain."
	}
	return &Error{Code: ESOLDOUT, Message: msg, Field: "ticket_type_" + itoa64(s.TicketTypeID), Detail: s}
}

// MaxTicketTypeDescriptionLength is the longest description of a ticket
// type, in characters: a line or two under its name on the event page.
const MaxTicketTypeDescriptionLength = 1_000

// ValidateDetails reports every problem Validate reports and the length of
// the description: everything an organizer types into the ticket type form.
func (t *TicketType) ValidateDetails() error {
	p := problemsOf(t.Validate())
	if utf8.RuneCountInString(t.Description) > MaxTicketTypeDescriptionLength {
		p.Add("description", "Description must be at most 1,000 characters.")
	}
	return p.Err()
}
