package admit

import (
	"errors"
	"slices"
	"time"
	"unicode/utf8"
)

// EventStatus is where an event is in its life.
type EventStatus string

// Event statuses. Only published events are visible and on sale.
const (
	EventDraft     EventStatus = "draft"
	EventPublished EventStatus = "published"
	EventClosed    EventStatus = "closed" // visible, sales closed
	EventArchived  EventStatus = "archived"
)

// DefaultHoldMinutes is how long a buyer keeps held tickets unless the event
// says otherwise.
const DefaultHoldMinutes = 10

// Event is something tickets are sold for. Times are stored in UTC and shown
// in the event's time zone.
type Event struct {
	ID             int64
	OrganizationID int64
	Slug           string
	Name           string
	Description    string
	Venue          string
	Address        string
	TimeZone       string
	StartsAt       time.Time
	EndsAt         time.Time
	Currency       string
	Status         EventStatus
	HoldMinutes    int
	ContactEmail   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// WaitingRoom sends visitors through a first-come queue, admitted at
	// WaitingRoomRate per minute from WaitingRoomOpensAt (zero: at once);
	// visitors who arrive before it opens are randomised among themselves.
	WaitingRoom        bool
	WaitingRoomOpensAt time.Time
	WaitingRoomRate    int
	// BannerURL is an https image shown atop the public page; TermsURL the
	// terms a buyer must accept to check out. Empty: none.
	BannerURL string
	TermsURL  string
	// Payment is what buyers who pay offline are told.
	Payment PaymentInstructions
}

// Location returns the event's time zone, or UTC if it is unknown.
func (e *Event) Location() *time.Location {
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate reports every problem with the event's fields.
func (e *Event) Validate() error {
	var p Problems
	if e.Name == "" {
		p.Add("name", "Name is required.")
	} else if len(e.Name) > 200 {
		p.Add("name", "Name must be at most 200 characters.")
	}
	if !ValidSlug(e.Slug) {
		p.Add("slug", "Use 1 to 64 lower-case letters, digits and hyphens.")
	}
	if _, err := time.LoadLocation(e.TimeZone); err != nil || e.TimeZone == "" {
		p.Add("time_zone", "Choose a time zone such as Europe/Berlin.")
	}
	if !ValidCurrency(e.Currency) {
		p.Add("currency", "Use a three-letter currency code such as EUR.")
	}
	if e.StartsAt.IsZero() {
		p.Add("starts_at", "Start is required.")
	}
	if !e.EndsAt.IsZero() && !e.StartsAt.IsZero() && !e.EndsAt.After(e.StartsAt) {
		p.Add("ends_at", "End must be after the start.")
	}
	checkTime(&p, "starts_at", e.StartsAt)
	checkTime(&p, "ends_at", e.EndsAt)
	if e.HoldMinutes < 1 || e.HoldMinutes > 120 {
		p.Add("hold_minutes", "Hold time must be between 1 and 120 minutes.")
	}
	return p.Err()
}

// ValidCurrency reports whether c looks like an ISO 4217 code.
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// zeroDecimalCurrencies have no minor unit (ISO 4217 exponent 0).
var zeroDecimalCurrencies = map[string]bool{"JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true, "UGX": true, "XAF": true, "XOF": true}

// CurrencyExponent returns the number of decimal digits of the currency's
// minor unit.
func CurrencyExponent(currency string) int {
	if zeroDecimalCurrencies[currency] {
		return 0
	}
	return 2
}

// Limits of an event's free-text fields, in characters. The description is
// also held to what its TEXT column stores in bytes.
const (
	MaxEventVenueLength       = 200
	MaxEventAddressLength     = 500
	MaxEventDescriptionLength = 20_000
	maxTextColumnBytes        = 65_535
)

// ValidateDetails reports every problem Validate reports and, beyond it,
// the lengths of the free-text fields, the contact email and a time zone
// that names the server's own ("Local"): everything an organizer types into
// the event form.
func (e *Event) ValidateDetails() error {
	p := problemsOf(e.Validate())
	if e.TimeZone == "Local" && p.For("time_zone") == "" {
		p.Add("time_zone", "Choose a time zone such as Europe/Berlin.")
	}
	if utf8.RuneCountInString(e.Venue) > MaxEventVenueLength {
		p.Add("venue", "Venue must be at most 200 characters.")
	}
	if utf8.RuneCountInString(e.Address) > MaxEventAddressLength {
		p.Add("address", "Address must be at most 500 characters.")
	}
	if utf8.RuneCountInString(e.Description) > MaxEventDescriptionLength {
		p.Add("description", "Description must be at most 20,000 characters.")
	} else if len(e.Description) > maxTextColumnBytes {
		p.Add("description", "Description is too long to store; shorten it.")
	}
	if e.ContactEmail != "" && !ValidEmail(e.ContactEmail) {
		p.Add("contact_email", "Enter an email address such as name@example.com, or leave it empty.")
	}
	return p.Err()
}

// problemsOf returns the field problems carried by a validation error.
func problemsOf(err error) Problems {
	var e *Error
	if errors.As(err, &e) {
		if len(e.Problems) > 0 {
			return append(Problems(nil), e.Problems...)
		}
		return Problems{{Field: e.Field, Message: e.Message}}
	}
	return nil
}

// eventTransitions lists the statuses each status may change to: a draft is
// published or archived, a published event goes back to draft or has its
// sales closed, a closed event reopens or is archived, and an archived event
// comes back as a draft.
var eventTransitions = map[EventStatus][]EventStatus{
	EventDraft:     {EventPublished, EventArchived},
	EventPublished: {EventDraft, EventClosed},
	EventClosed:    {EventPublished, EventArchived},
	EventArchived:  {EventDraft},
}

// CanBecome reports whether an event with status s may change to status to.
func (s EventStatus) CanBecome(to EventStatus) bool {
	for _, t := range eventTransitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// EventSales is how much of an event is sold: tickets sold (paid or
// pending offline) of its capacity, over all its ticket types.
type EventSales struct {
	Sold, Capacity int
}

// SortEventsByDate orders events as an organizer works through them at
// now: those still to start, soonest first, then those past, latest first.
func SortEventsByDate(events []*Event, now time.Time) {
	slices.SortStableFunc(events, func(a, b *Event) int {
		aPast, bPast := a.StartsAt.Before(now), b.StartsAt.Before(now)
		switch {
		case aPast != bPast:
			if aPast {
				return 1
			}
			return -1
		case aPast:
			return b.StartsAt.Compare(a.StartsAt)
		}
		return a.StartsAt.Compare(b.StartsAt)
	})
}

// EventSummary is the dashboard's figures for one event.
type EventSummary struct {
	Orders      int
	PaidOrders  int
	OrdersToday int
	Revenue     int64 // paid orders, minor units
	TicketsSold int
}

// DaySales is the number of tickets sold on one day (UTC).
type DaySales struct {
	Day     time.Time
	Tickets int
}
