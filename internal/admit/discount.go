package admit

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Discount kinds.
const (
	DiscountPercent = "percent" // Value in basis points: 2500 is 25%
	DiscountFixed   = "fixed"   // Value in minor units off each ticket
)

// DiscountCode takes money off tickets of an event, a limited number of
// times, and can unlock hidden ticket types.
type DiscountCode struct {
	ID             int64
	OrganizationID int64
	EventID        int64
	Code           string
	Kind           string
	Value          int64
	MaxUses        int // 0: unlimited
	Used           int
	ValidFrom      time.Time
	ValidUntil     time.Time
	// TicketTypeIDs limits the code to these types; empty means all.
	TicketTypeIDs []int64
}

// NormalizeCode is how codes are compared: trimmed and upper case.
func NormalizeCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// Validate reports every problem with the code's fields.
func (d *DiscountCode) Validate() error {
	var p Problems
	d.Code = NormalizeCode(d.Code)
	switch {
	case d.Code == "":
		p.Add("code", "Enter a code.")
	case utf8.RuneCountInString(d.Code) > 64:
		p.Add("code", "At most 64 characters.")
	case strings.ContainsAny(d.Code, " \t\r\n<>\"'&"):
		p.Add("code", "Use letters, digits, hyphens and underscores.")
	}
	switch d.Kind {
	case DiscountPercent:
		if d.Value <= 0 || d.Value > 10000 {
			p.Add("value", "A percentage from 0.01 to 100.")
		}
	case DiscountFixed:
		if d.Value <= 0 {
			p.Add("value", "An amount above zero.")
		}
	default:
		p.Add("kind", "Choose percentage or fixed amount.")
	}
	if d.MaxUses < 0 {
		p.Add("max_uses", "Cannot be negative.")
	}
	if !d.ValidFrom.IsZero() && !d.ValidUntil.IsZero() && !d.ValidUntil.After(d.ValidFrom) {
		p.Add("valid_until", "The end must be after the start.")
	}
	checkTime(&p, "valid_from", d.ValidFrom)
	checkTime(&p, "valid_until", d.ValidUntil)
	return p.Err()
}

// GuessableCodeLength is the length below which a code is easy to guess:
// wrong codes are limited per buyer and per address, but someone with many
// addresses still gets many tries, and short codes are often a word and a
// year (VIP2027). Ten letters and digits chosen at random are beyond reach.
const GuessableCodeLength = 10

// Guessable reports whether the code is short enough to be found by
// guessing, for the console to warn about; such codes are still allowed.
func (d *DiscountCode) Guessable() bool {
	return utf8.RuneCountInString(NormalizeCode(d.Code)) < GuessableCodeLength
}

// AppliesTo reports whether the code discounts the ticket type.
func (d *DiscountCode) AppliesTo(ticketTypeID int64) bool {
	if len(d.TicketTypeIDs) == 0 {
		return true
	}
	for _, id := range d.TicketTypeIDs {
		if id == ticketTypeID {
			return true
		}
	}
	return false
}

// Unlocks reports whether the code makes the hidden ticket type orderable:
// only when the code names it.
func (d *DiscountCode) Unlocks(ticketTypeID int64) bool {
	for _, id := range d.TicketTypeIDs {
		if id == ticketTypeID {
			return true
		}
	}
	return false
}

// Discounted returns the price of one ticket after the code, never below
// zero. Percentages round half up to the minor unit.
func (d *DiscountCode) Discounted(price int64) int64 {
	var off int64
	switch d.Kind {
	case DiscountPercent:
		off = (price*d.Value + 5000) / 10000
	case DiscountFixed:
		off = d.Value
	}
	return max(price-off, 0)
}

// UsableAt reports why the code cannot be used at now, or nil.
func (d *DiscountCode) UsableAt(now time.Time) error {
	switch {
	case !d.ValidFrom.IsZero() && now.Before(d.ValidFrom):
		return FieldError("discount_code", "This code is not valid yet.")
	case !d.ValidUntil.IsZero() && !now.Before(d.ValidUntil):
		return FieldError("discount_code", "This code has expired.")
	case d.MaxUses > 0 && d.Used >= d.MaxUses:
		return FieldError("discount_code", "This code has been used up.")
	}
	return nil
}
