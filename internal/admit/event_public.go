package admit

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// PublicEvent is an event as the public start page lists it: with the
// organization that sells it, whose slug is part of its address.
type PublicEvent struct {
	Event        *Event
	Organization *Organization
}

// PaymentInstructions tell a buyer who chose to pay offline whom to pay,
// where, and by when. All are optional: without them the server's general
// instructions are shown.
type PaymentInstructions struct {
	Payee string
	IBAN  string // normalized: upper case, no spaces
	BIC   string
	// Text is anything else, or instead: "Pay at the door", a reference
	// format, a PayPal address.
	Text string
	// DueDays is how many days a buyer has to pay; an order still unpaid
	// then expires and its tickets go back on sale. Zero: it waits until
	// the organizer cancels it.
	DueDays int
}

// IsZero reports whether the organizer set no instructions of their own.
func (p PaymentInstructions) IsZero() bool {
	return p.Payee == "" && p.IBAN == "" && p.BIC == "" && p.Text == ""
}

// PendingFor is how long an offline order placed at placed waits for its
// payment: DueDays, but no later than the start of an event still to come
// (a ticket paid for after the doors opened is of no use).
func (p PaymentInstructions) PendingFor(placed, eventStarts time.Time) time.Duration {
	if p.DueDays <= 0 {
		return 0
	}
	due := placed.Add(time.Duration(p.DueDays) * 24 * time.Hour)
	if eventStarts.After(placed) && due.After(eventStarts) {
		due = eventStarts
	}
	return due.Sub(placed)
}

// Limits of the public settings.
const (
	MaxPaymentDueDays     = 365
	maxPublicURLLength    = 500
	maxPaymentTextLength  = 2000
	maxPaymentPayeeLength = 200
)

// ValidatePublicSettings normalizes and checks what the organizer entered
// for the public pages and offline payment: the banner is an https image
// (the Content-Security-Policy allows no other), the terms an http(s) page,
// the IBAN passes its check digits.
func (e *Event) ValidatePublicSettings() error {
	var p Problems
	e.BannerURL, e.TermsURL = strings.TrimSpace(e.BannerURL), strings.TrimSpace(e.TermsURL)
	if e.BannerURL != "" && !validURL(e.BannerURL, false) {
		p.Add("banner_url", "Enter an https:// address of an image, or leave it empty.")
	}
	if e.TermsURL != "" && !validURL(e.TermsURL, true) {
		p.Add("terms_url", "Enter the address of your terms, starting with https://, or leave it empty.")
	}
	pay := &e.Payment
	pay.Payee, pay.Text = strings.TrimSpace(pay.Payee), strings.TrimSpace(pay.Text)
	pay.IBAN = strings.ToUpper(strings.Join(strings.Fields(pay.IBAN), ""))
	pay.BIC = strings.ToUpper(strings.TrimSpace(pay.BIC))
	if utf8.RuneCountInString(pay.Payee) > maxPaymentPayeeLength {
		p.Add("payment_payee", "Payee must be at most 200 characters.")
	}
	if pay.IBAN != "" && !ValidIBAN(pay.IBAN) {
		p.Add("payment_iban", "This IBAN is not valid; check it against your bank statement.")
	}
	if pay.BIC != "" && !validBIC(pay.BIC) {
		p.Add("payment_bic", "A BIC has 8 or 11 letters and digits, such as DEUTDEFF.")
	}
	if utf8.RuneCountInString(pay.Text) > maxPaymentTextLength {
		p.Add("payment_text", "Instructions must be at most 2,000 characters.")
	}
	if pay.DueDays < 0 || pay.DueDays > MaxPaymentDueDays {
		p.Add("payment_due_days", "Days to pay must be between 0 (no limit) and 365.")
	}
	return p.Err()
}

// validURL reports whether s is an absolute https URL (or http, with
// plain) with a host, and short enough to store.
func validURL(s string, plain bool) bool {
	if len(s) > maxPublicURLLength {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (plain && u.Scheme == "http")
}

// ValidIBAN reports whether s (upper case, no spaces) is an IBAN whose
// check digits hold (ISO 13616: mod 97 of the rearranged number is 1).
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i, r := range s {
		letter, digit := r >= 'A' && r <= 'Z', r >= '0' && r <= '9'
		if (i < 2 && !letter) || (i >= 2 && i < 4 && !digit) || (!letter && !digit) {
			return false
		}
	}
	rem := 0
	for _, r := range s[4:] + s[:4] {
		if r >= 'A' {
			rem = (rem*100 + int(r-'A'+10)) % 97
		} else {
			rem = (rem*10 + int(r-'0')) % 97
		}
	}
	return rem == 1
}

func validBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i, r := range s {
		letter, digit := r >= 'A' && r <= 'Z', r >= '0' && r <= '9'
		if (i < 6 && !letter) || (!letter && !digit) {
			return false
		}
	}
	return true
}

// FormatIBAN groups an IBAN in fours, as banks print it.
func FormatIBAN(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PaymentDetails are what a buyer reads to pay an offline order: the
// organizer's instructions, the general ones (General) when the organizer
// gave none, and the date by which to pay (empty: no date).
type PaymentDetails struct {
	Payee, IBAN, BIC, Text string
	General                string
	Due                    string
}

// PaymentDetailsFor returns what the buyer of the pending offline order o
// of event ev is told, general being the server's own instructions.
func PaymentDetailsFor(ev *Event, o *Order, general string) PaymentDetails {
	p := ev.Payment
	d := PaymentDetails{Payee: p.Payee, IBAN: FormatIBAN(p.IBAN), BIC: p.BIC, Text: p.Text}
	if p.IsZero() {
		d.General = general
	}
	if !o.ExpiresAt.IsZero() {
		d.Due = o.ExpiresAt.In(ev.Location()).Format("Monday 2 January 2006, 15:04") + " (" + ev.TimeZone + ")"
	}
	return d
}

// ProblemsOf returns the field problems a validation error carries (nil
// for nil or an error of another kind), so a form can show them together
// with problems of its own.
func ProblemsOf(err error) Problems { return problemsOf(err) }
