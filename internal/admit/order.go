package admit

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"
)

// HoldStatus is where a hold is in its life.
type HoldStatus string

// Hold statuses. Only an active hold that has not expired can become an order.
const (
	HoldActive    HoldStatus = "active"
	HoldConverted HoldStatus = "converted"
	HoldReleased  HoldStatus = "released"
)

// Hold is capacity set aside for one buyer for a limited time.
type Hold struct {
	ID             string
	OrganizationID int64
	EventID        int64
	ClientKey      string
	ClientIP       string
	// Secret is handed to the API client that made the hold, once, when
	// it is made; SecretHash is what storage keeps of it.
	Secret         string
	SecretHash     []byte
	DiscountCodeID int64
	Status         HoldStatus
	ExpiresAt      time.Time
	// ExpiresIn is how long the hold has left by MySQL's clock when it was
	// read; zero or less means it has expired.
	ExpiresIn time.Duration
	CreatedAt time.Time
	Items     []HoldItem
}

// HoldSecretHash is what is kept of a hold's secret.
func HoldSecretHash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// AnswersTo reports whether a request may see, release or order the hold:
// it carries the hold's secret, or comes from the buyer (cookie) who made
// it. Hold ids travel in URLs and logs; they are names, not keys.
func (h *Hold) AnswersTo(secret, clientKey string) bool {
	if len(h.SecretHash) > 0 && secret != "" && subtle.ConstantTimeCompare(h.SecretHash, HoldSecretHash(secret)) == 1 {
		return true
	}
	return h.ClientKey != "" && subtle.ConstantTimeCompare([]byte(h.ClientKey), []byte(clientKey)) == 1
}

// Live reports whether the hold can still become an order.
func (h *Hold) Live() bool { return h.Status == HoldActive && h.ExpiresIn > 0 }

// Quantity is the number of tickets held.
func (h *Hold) Quantity() int {
	n := 0
	for _, it := range h.Items {
		n += it.Quantity
	}
	return n
}

// HoldItem is a quantity of one ticket type in a hold.
type HoldItem struct {
	TicketTypeID int64
	Quantity     int
	// Bucket is the row of the ticket type's capacity the item was taken
	// from; storage sets it and gives the capacity back to the same row.
	Bucket int
}

// OrderStatus is where an order is in its life.
type OrderStatus string

// Order statuses. Transitions are guarded in storage: pending becomes paid or
// cancelled exactly once.
const (
	OrderPending   OrderStatus = "pending"
	OrderPaid      OrderStatus = "paid"
	OrderCancelled OrderStatus = "cancelled"
	OrderRefunded  OrderStatus = "refunded"
)

// Order is a buyer's purchase of tickets for one event.
type Order struct {
	ID              int64
	OrganizationID  int64
	EventID         int64
	HoldID          string
	Reference       string
	AccessToken     string
	Status          OrderStatus
	BuyerName       string
	BuyerEmail      string
	Total           int64
	RefundedTotal   int64
	DiscountCodeID  int64
	DiscountTotal   int64
	Currency        string
	PaymentProvider string
	PaymentRef      string
	CreatedAt       time.Time
	UpdatedAt       time.Time // the last change to the order itself
	PaidAt          time.Time
	ExpiresAt       time.Time // zero: a pending order that never expires
	Lines           []OrderLine
	Tickets         []Ticket
}

// OrderLine is a quantity of one ticket type at the price charged.
type OrderLine struct {
	TicketTypeID int64
	Name         string
	Quantity     int
	UnitPrice    int64
	// Bucket is the row of the ticket type's capacity the line's tickets
	// were taken from (storage's business, like HoldItem.Bucket).
	Bucket int
}

// Ticket admits one attendee. Its code is unguessable: it is what the QR code
// carries and what check-in accepts.
type Ticket struct {
	ID           int64
	OrderID      int64
	TicketTypeID int64
	TicketType   string
	Code         string
	// QR is what the ticket's QR code carries: the code signed with the
	// event's key (TicketKey.Sign) where the surface showing it signed it,
	// for offline check-in. Empty, the QR code carries the bare code.
	QR            string
	AttendeeName  string
	AttendeeEmail string
	Status        TicketStatus
	Answers       []TicketAnswer
	CreatedAt     time.Time
	UpdatedAt     time.Time // the last change to the ticket (attendee, status)
}

// QRContent is what the ticket's QR code shows: QR, or the bare code.
func (t *Ticket) QRContent() string {
	if t.QR != "" {
		return t.QR
	}
	return t.Code
}

// TicketAnswer is an attendee's answer to one question.
type TicketAnswer struct {
	QuestionID int64
	Label      string
	Value      string
}

// TicketStatus says whether a ticket admits its holder.
type TicketStatus string

// Ticket statuses: pending until the order is paid, then valid; void once
// cancelled or refunded.
const (
	TicketPending TicketStatus = "pending"
	TicketValid   TicketStatus = "valid"
	TicketVoid    TicketStatus = "void"
)

// OrderFilter narrows ListOrders.
type OrderFilter struct {
	EventID int64
	Status  OrderStatus // empty: any
	Query   string      // reference, buyer name or email
	Limit   int
	Offset  int
}

// NewOrder is the order that request r places on hold h, whose lines are
// priced as held, at now. The rules every surface shares live here: the
// discount code dc (nil: none) lowers the lines it covers; each ticket
// needs an attendee; a free order is paid as it is placed, its tickets
// valid at once, while any other needs a payment method and, when
// pendingFor is set, expires unpaid after it.
func NewOrder(h *Hold, lines []OrderLine, currency string, dc *DiscountCode, r OrderRequest, now time.Time, pendingFor time.Duration) (*Order, error) {
	o := &Order{OrganizationID: h.OrganizationID, EventID: h.EventID, HoldID: h.ID, Status: OrderPending,
		BuyerName: r.BuyerName, BuyerEmail: r.BuyerEmail, AccessToken: NewToken(16), Currency: currency,
		Lines: append([]OrderLine(nil), lines...), CreatedAt: now, UpdatedAt: now}
	tickets := 0
	for _, l := range o.Lines {
		tickets += l.Quantity
	}
	if len(r.Attendees) != tickets {
		return nil, FieldError("attendees", "Give a name for each ticket.")
	}
	o.price(dc)
	o.PaymentProvider = r.PaymentMethod
	if o.Total == 0 {
		o.PaymentProvider = PaymentFree
	} else if o.PaymentProvider == "" || o.PaymentProvider == PaymentFree {
		return nil, FieldError("payment_method", "Choose how to pay.")
	}
	ticketStatus := TicketPending
	if o.Total == 0 {
		// A free order is paid as it is placed: inserted paid, its tickets
		// valid, in the same transaction, with no transition to run after.
		o.Status, o.PaidAt, ticketStatus = OrderPaid, now, TicketValid
	}
	if pendingFor > 0 && o.Total > 0 {
		o.ExpiresAt = now.Add(pendingFor)
	}
	i := 0
	for _, l := range o.Lines {
		for range l.Quantity {
			a := r.Attendees[i]
			i++
			o.Tickets = append(o.Tickets, Ticket{TicketTypeID: l.TicketTypeID, TicketType: l.Name, Code: NewToken(12),
				AttendeeName: a.Name, AttendeeEmail: a.Email, Status: ticketStatus, CreatedAt: now, UpdatedAt: now})
		}
	}
	o.Reference = NewReference()
	return o, nil
}

// price sets the order's total from its lines, with dc (nil: none) applied
// to the lines it covers and what it took off in DiscountTotal.
func (o *Order) price(dc *DiscountCode) {
	o.Total = 0
	for i, l := range o.Lines {
		if dc != nil && dc.AppliesTo(l.TicketTypeID) {
			price := dc.Discounted(l.UnitPrice)
			o.DiscountTotal += (l.UnitPrice - price) * int64(l.Quantity)
			o.Lines[i].UnitPrice = price
		}
		o.Total += o.Lines[i].UnitPrice * int64(l.Quantity)
	}
	if dc != nil {
		o.DiscountCodeID = dc.ID
	}
}
