package admit

import "time"

// Money is always an integer number of minor units (cents) with the
// currency beside it; times are UTC.

// Me is the organization a token acts for, and what it may do.
type Me struct {
	Organization Organization `json:"organization"`
	Token        TokenInfo    `json:"token"`
	Scopes       []string     `json:"scopes"`
}

// Token scopes.
const (
	ScopeRead    = "read"
	ScopeWrite   = "write"
	ScopeCheckIn = "checkin"
)

// Organization owns events and everything sold through them.
type Organization struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// TokenInfo names the token a request was made with.
type TokenInfo struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
}

// Event is something tickets are sold for.
type Event struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Venue       string     `json:"venue"`
	Address     string     `json:"address"`
	TimeZone    string     `json:"time_zone"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      *time.Time `json:"ends_at"`
	Currency    string     `json:"currency"`
	Status      string     `json:"status"` // draft, published, closed, archived
	HoldMinutes int        `json:"hold_minutes"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// TicketType is a kind of ticket of an event, with its price and the
// ledger's counters.
type TicketType struct {
	ID          int64      `json:"id"`
	EventID     int64      `json:"event_id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Price       int64      `json:"price"`
	Currency    string     `json:"currency"`
	Quantity    int        `json:"quantity"`
	Reserved    int        `json:"reserved"`
	Sold        int        `json:"sold"`
	Available   int        `json:"available"`
	SalesStart  *time.Time `json:"sales_start"`
	SalesEnd    *time.Time `json:"sales_end"`
	MinPerOrder int        `json:"min_per_order"`
	MaxPerOrder int        `json:"max_per_order"`
	Position    int        `json:"position"`
	Hidden      bool       `json:"hidden"`
}

// Person is a buyer.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Order is a purchase of tickets for one event, as the API answers it and
// as webhook payloads carry it. Lines and Tickets are filled when asked for
// (Expand), in answers to changes, and always in webhooks.
type Order struct {
	Object        string      `json:"object"` // "order"
	ID            int64       `json:"id"`
	Reference     string      `json:"reference"`
	EventID       int64       `json:"event_id"`
	Status        string      `json:"status"` // pending, paid, cancelled, refunded
	Buyer         Person      `json:"buyer"`
	Total         int64       `json:"total"`
	RefundedTotal int64       `json:"refunded_total"`
	DiscountTotal int64       `json:"discount_total"`
	Currency      string      `json:"currency"`
	PaymentMethod string      `json:"payment_method"`
	OrderURL      string      `json:"order_url"` // the buyer's private order page
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	PaidAt        *time.Time  `json:"paid_at"`
	ExpiresAt     *time.Time  `json:"expires_at"`
	Lines         []OrderLine `json:"lines,omitempty"`
	Tickets       []Ticket    `json:"tickets,omitempty"`
}

// OrderLine is a quantity of one ticket type at the price charged.
type OrderLine struct {
	TicketTypeID int64  `json:"ticket_type_id"`
	Name         string `json:"name"`
	Quantity     int    `json:"quantity"`
	UnitPrice    int64  `json:"unit_price"`
}

// Ticket admits one attendee.
type Ticket struct {
	Object         string    `json:"object"` // "ticket"
	ID             int64     `json:"id"`
	OrderID        int64     `json:"order_id"`
	OrderReference string    `json:"order_reference"`
	OrderStatus    string    `json:"order_status"`
	EventID        int64     `json:"event_id"`
	TicketTypeID   int64     `json:"ticket_type_id"`
	TicketType     string    `json:"ticket_type"`
	Code           string    `json:"code,omitempty"` // check-in accepts it while valid; absent once void
	AttendeeName   string    `json:"attendee_name"`
	AttendeeEmail  string    `json:"attendee_email"`
	Status         string    `json:"status"` // pending, valid, void
	Answers        []Answer  `json:"answers"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Answer is an attendee's answer to a question.
type Answer struct {
	QuestionID int64  `json:"question_id"`
	Question   string `json:"question"`
	Value      string `json:"value"`
}

// Refund is money paid back for some or all tickets of an order.
type Refund struct {
	ID       int64  `json:"id"`
	OrderID  int64  `json:"order_id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Tickets  int    `json:"tickets"`
	Order    Order  `json:"order"`
}

// CheckInList is one door (or day, or area) of an event.
type CheckInList struct {
	ID            int64     `json:"id"`
	EventID       int64     `json:"event_id"`
	Name          string    `json:"name"`
	TicketTypeIDs []int64   `json:"ticket_type_ids"`
	CheckedIn     int       `json:"checked_in"`
	Admitted      int       `json:"admitted"`
	CreatedAt     time.Time `json:"created_at"`
}

// ListTicket is a ticket as a scanner keeps it for a check-in list.
type ListTicket struct {
	ID             int64      `json:"id"`
	Code           string     `json:"code"`
	AttendeeName   string     `json:"attendee_name"`
	AttendeeEmail  string     `json:"attendee_email"`
	TicketTypeID   int64      `json:"ticket_type_id"`
	TicketType     string     `json:"ticket_type"`
	Status         string     `json:"status"`
	OrderReference string     `json:"order_reference"`
	OrderStatus    string     `json:"order_status"`
	Admits         bool       `json:"admits"` // valid ticket of a paid order
	CheckInID      *int64     `json:"checkin_id"`
	CheckedInAt    *time.Time `json:"checked_in_at"`
	ChangedAt      time.Time  `json:"changed_at"`
}

// CheckIn is one check-in of a ticket on a list, in force unless undone.
type CheckIn struct {
	ID           int64      `json:"id"`
	ListID       int64      `json:"list_id"`
	TicketID     int64      `json:"ticket_id"`
	Code         string     `json:"code"`
	AttendeeName string     `json:"attendee_name"`
	TicketType   string     `json:"ticket_type"`
	CheckedInBy  string     `json:"checked_in_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UndoneAt     *time.Time `json:"undone_at"`
}

// Check-in outcomes.
const (
	CheckInOK        = "ok"
	CheckInAlready   = "already_checked_in"
	CheckInVoid      = "void"
	CheckInPending   = "pending"
	CheckInWrongList = "wrong_list"
	CheckInUnknown   = "unknown"
)

// CheckInResult is what a scan came to.
type CheckInResult struct {
	Outcome string      `json:"outcome"`
	Ticket  *ListTicket `json:"ticket"`
	CheckIn *CheckIn    `json:"checkin"`
}

// DiscountCode takes money off tickets, a limited number of times.
type DiscountCode struct {
	ID            int64      `json:"id"`
	EventID       int64      `json:"event_id"`
	Code          string     `json:"code"`
	Kind          string     `json:"kind"`  // percent or fixed
	Value         int64      `json:"value"` // basis points (percent) or minor units off each ticket (fixed)
	MaxUses       *int       `json:"max_uses"`
	Used          int        `json:"used"`
	ValidFrom     *time.Time `json:"valid_from"`
	ValidUntil    *time.Time `json:"valid_until"`
	TicketTypeIDs []int64    `json:"ticket_type_ids"`
}

// Question is asked for each ticket at checkout.
type Question struct {
	ID            int64    `json:"id"`
	EventID       int64    `json:"event_id"`
	Label         string   `json:"label"`
	Kind          string   `json:"kind"` // text, choice, checkbox
	Options       []string `json:"options"`
	Required      bool     `json:"required"`
	Position      int      `json:"position"`
	TicketTypeIDs []int64  `json:"ticket_type_ids"`
}

// String returns a pointer to s, for optional fields of parameters.
func String(s string) *string { return &s }

// Int returns a pointer to n, for optional fields of parameters.
func Int(n int) *int { return &n }
