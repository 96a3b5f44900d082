package admit

import "time"

// Page selects one page of a keyset-paginated list: rows with an id above
// After, in id order, at most Limit of them. Unlike an offset, a keyset
// page never skips or repeats a row when rows are added meanwhile.
type Page struct {
	After int64
	Limit int
	// ChangedSince keeps only rows changed at or after it; zero keeps all.
	ChangedSince time.Time
}

// MaxPageLimit is the largest page the list queries return.
const MaxPageLimit = 200

// Size is the page size to query: Limit, or 50 when it is unset or out of range.
func (p Page) Size() int {
	if p.Limit <= 0 || p.Limit > MaxPageLimit {
		return 50
	}
	return p.Limit
}

// TicketRecord is a ticket with its order, event and the time it last
// changed, as integrations list them.
type TicketRecord struct {
	Ticket
	EventID        int64
	OrderReference string
	OrderStatus    OrderStatus
}

// OrderRecord is an order with the time it last changed and, when asked
// for, its lines (in Order.Lines) and tickets.
type OrderRecord struct {
	*Order
	// TicketRecords holds the order's tickets when they were asked for.
	TicketRecords []TicketRecord
}

// OrderQuery selects a page of orders.
type OrderQuery struct {
	Page
	EventID int64       // 0: every event
	Status  OrderStatus // empty: every status
	// WithLines and WithTickets load each order's lines and tickets.
	WithLines, WithTickets bool
}

// ListTicket is a ticket as a scanner keeps it for one check-in list: what
// it needs to admit or refuse the ticket offline.
type ListTicket struct {
	TicketID       int64
	Code           string
	AttendeeName   string
	AttendeeEmail  string
	TicketTypeID   int64
	TicketType     string
	TicketStatus   TicketStatus
	OrderReference string
	OrderStatus    OrderStatus
	// CheckInID and CheckedInAt are the check-in in force on the list, zero
	// if none.
	CheckInID   int64
	CheckedInAt time.Time
	// ChangedAt is the latest change to the ticket, its order or its
	// check-ins on the list.
	ChangedAt time.Time
}
