package admit

import (
	"slices"
	"time"
)

// Publishing problems, by the Problems field they are filed under.
const (
	PublishTicketTypes   = "ticket_types"
	PublishSaleWindow    = "sale_window"
	PublishPaymentMethod = "payment_method"
)

// CheckPublishable reports, as an EINVALID error with one problem each,
// what keeps the event from selling a ticket once published at now: a
// ticket type buyers can see, a sale window open or still to come on one
// with tickets, and, when any of those is paid, a payment method among
// paymentMethods (PaymentFree does not count). Publishing an event that can
// sell nothing would tell buyers "on sale" and show them nothing to buy, so
// every surface that publishes asks this first.
func (e *Event) CheckPublishable(types []*TicketType, paymentMethods []string, now time.Time) error {
	var p Problems
	var visible, sellable []*TicketType
	for _, t := range types {
		if t.Hidden {
			continue
		}
		visible = append(visible, t)
		if t.Quantity > 0 && t.AvailabilityAt(now, e.StartsAt) != SalesEnded {
			sellable = append(sellable, t)
		}
	}
	switch {
	case len(types) == 0:
		p.Add(PublishTicketTypes, "Add a ticket type: buyers would have nothing to buy.")
		return p.Err()
	case len(visible) == 0:
		p.Add(PublishTicketTypes, "Every ticket type is hidden: show at least one.")
		return p.Err()
	case len(sellable) == 0 && !e.StartsAt.IsZero() && !now.Before(e.StartsAt):
		p.Add(PublishSaleWindow, "The event has already started: move its start, or give a ticket type a sales end still to come.")
	case len(sellable) == 0:
		p.Add(PublishSaleWindow, "No ticket type can be sold: give one a quantity above 0 and a sales end still to come.")
	}
	paid := slices.ContainsFunc(sellable, func(t *TicketType) bool { return t.Price > 0 })
	if paid && !slices.ContainsFunc(paymentMethods, func(m string) bool { return m != PaymentFree }) {
		p.Add(PublishPaymentMethod, "Paid ticket types need a payment method, and none is set up: configure card payments (Stripe) or offline payment, or make the tickets free.")
	}
	return p.Err()
}
