package admit

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Payment methods a buyer can choose.
const (
	PaymentFree    = "free"
	PaymentStripe  = "stripe"
	PaymentOffline = "offline"
)

// Attendee is the person a ticket is for.
type Attendee struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Answers maps a question id to the answer for this ticket.
	Answers map[int64]string `json:"answers,omitempty"`
}

// OrderRequest is what a buyer submits to turn a hold into an order. Prices
// and currency are never part of it: the server's ticket types rule.
type OrderRequest struct {
	BuyerName     string     `json:"buyer_name"`
	BuyerEmail    string     `json:"buyer_email"`
	Attendees     []Attendee `json:"attendees"`
	PaymentMethod string     `json:"payment_method"`
}

// Normalize trims the request's text fields.
func (r *OrderRequest) Normalize() {
	r.BuyerName = strings.TrimSpace(r.BuyerName)
	r.BuyerEmail = strings.TrimSpace(r.BuyerEmail)
	for i := range r.Attendees {
		r.Attendees[i].Name = strings.TrimSpace(r.Attendees[i].Name)
		r.Attendees[i].Email = strings.TrimSpace(r.Attendees[i].Email)
	}
}

// Validate reports every problem with the request for a hold of tickets
// tickets. Attendee names default to the buyer's when left empty for a
// single ticket, as buyers of one ticket expect.
func (r *OrderRequest) Validate(tickets int) error {
	var p Problems
	checkName(&p, "buyer_name", r.BuyerName, true)
	checkEmail(&p, "buyer_email", r.BuyerEmail, true)
	if len(r.Attendees) == 0 && tickets == 1 {
		r.Attendees = []Attendee{{Name: r.BuyerName, Email: r.BuyerEmail}}
	}
	if len(r.Attendees) != tickets {
		p.Add("attendees", fmt.Sprintf("Give a name for each of the %d tickets.", tickets))
	}
	for i, a := range r.Attendees {
		checkName(&p, fmt.Sprintf("attendees[%d].name", i), a.Name, true)
		checkEmail(&p, fmt.Sprintf("attendees[%d].email", i), a.Email, false)
	}
	switch r.PaymentMethod {
	case PaymentFree, PaymentStripe, PaymentOffline, "":
	default:
		p.Add("payment_method", "Choose how to pay.")
	}
	return p.Err()
}

func checkName(p *Problems, field, v string, required bool) {
	switch {
	case v == "" && required:
		p.Add(field, "Name is required.")
	case utf8.RuneCountInString(v) > 200:
		p.Add(field, "Name must be at most 200 characters.")
	case strings.ContainsAny(v, "\x00\r\n"):
		p.Add(field, "Name must be one line of text.")
	}
}

func checkEmail(p *Problems, field, v string, required bool) {
	if v == "" {
		if required {
			p.Add(field, "Email is required.")
		}
		return
	}
	if !ValidEmail(v) {
		p.Add(field, "Enter an email address such as name@example.com.")
	}
}

// ValidEmail reports whether v is a plain email address (no display name).
func ValidEmail(v string) bool {
	if len(v) > 254 {
		return false
	}
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v && strings.Contains(v[strings.LastIndex(v, "@"):], ".")
}

// GateResult is the gate's answer to a request for tickets.
type GateResult struct {
	Admitted bool
	// Missing lists ticket types without a counter: the caller rebuilds them
	// from MySQL and asks again.
	Missing []int64
	// Short is the ticket type that did not have enough, with Left remaining.
	Short int64
	Left  int
}
