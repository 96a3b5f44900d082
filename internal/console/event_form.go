package console

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// eventZones are the time zones the event form offers in its select;
// any other IANA name can be typed in.
var eventZones = []string{
	"UTC",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Brussels", "Europe/Amsterdam",
	"Europe/Berlin", "Europe/Zurich", "Europe/Vienna", "Europe/Rome", "Europe/Madrid", "Europe/Copenhagen",
	"Europe/Oslo", "Europe/Stockholm", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest",
	"Europe/Athens", "Europe/Bucharest", "Europe/Kyiv", "Europe/Istanbul",
	"Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg",
	"Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Hong_Kong",
	"Asia/Shanghai", "Asia/Seoul", "Asia/Tokyo",
	"Australia/Perth", "Australia/Brisbane", "Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland",
	"Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Vancouver", "America/Denver",
	"America/Phoenix", "America/Chicago", "America/Mexico_City", "America/New_York", "America/Toronto",
	"America/Bogota", "America/Lima", "America/Santiago", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
}

// eventOtherZone is the select's value for "the zone typed in the text
// field".
const eventOtherZone = "other"

// datetimeLocal is the value format of an <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// eventForm is the event form as the organizer typed it, kept as text so
// that a rejected form comes back exactly as it was sent.
type eventForm struct {
	Name, Slug, Description, Venue, Address string
	TimeZone                                string // a zone of eventZones, or eventOtherZone
	TimeZoneOther                           string
	StartsAt, EndsAt                        string
	Currency, HoldMinutes, ContactEmail     string
}

type eventFormPage struct {
	Base           basePage
	Event          *admit.Event // nil for a new event
	Form           eventForm
	Zones          []string
	OtherZone      string
	CurrencyLocked bool
	Problems       admit.Problems
}

func readEventForm(c echo.Context) eventForm {
	return eventForm{
		Name:          strings.TrimSpace(c.FormValue("name")),
		Slug:          strings.ToLower(strings.TrimSpace(c.FormValue("slug"))),
		Description:   strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n")),
		Venue:         strings.TrimSpace(c.FormValue("venue")),
		Address:       strings.TrimSpace(strings.ReplaceAll(c.FormValue("address"), "\r\n", "\n")),
		TimeZone:      strings.TrimSpace(c.FormValue("time_zone")),
		TimeZoneOther: strings.TrimSpace(c.FormValue("time_zone_other")),
		StartsAt:      strings.TrimSpace(c.FormValue("starts_at")),
		EndsAt:        strings.TrimSpace(c.FormValue("ends_at")),
		Currency:      strings.ToUpper(strings.TrimSpace(c.FormValue("currency"))),
		HoldMinutes:   strings.TrimSpace(c.FormValue("hold_minutes")),
		ContactEmail:  strings.ToLower(strings.TrimSpace(c.FormValue("contact_email"))),
	}
}

// eventFormOf fills the form with a stored event, times in its own zone.
func eventFormOf(ev *admit.Event) eventForm {
	loc := ev.Location()
	f := eventForm{Name: ev.Name, Slug: ev.Slug, Description: ev.Description, Venue: ev.Venue, Address: ev.Address,
		StartsAt: eventFormatLocal(ev.StartsAt, loc), EndsAt: eventFormatLocal(ev.EndsAt, loc), Currency: ev.Currency,
		HoldMinutes: strconv.Itoa(ev.HoldMinutes), ContactEmail: ev.ContactEmail}
	f.setZone(ev.TimeZone)
	return f
}

// newEventForm is the form of a new event: a zone and currency to start
// from, and the default hold time.
func newEventForm() eventForm {
	f := eventForm{Currency: "EUR", HoldMinutes: strconv.Itoa(admit.DefaultHoldMinutes)}
	f.setZone("UTC")
	return f
}

func (f *eventForm) setZone(zone string) {
	if slices.Contains(eventZones, zone) {
		f.TimeZone, f.TimeZoneOther = zone, ""
	} else {
		f.TimeZone, f.TimeZoneOther = eventOtherZone, zone
	}
}

// zone returns the time zone the organizer chose: the select's, or the
// typed one when the select says "other" (or is missing).
func (f eventForm) zone() string {
	if f.TimeZone == "" || f.TimeZone == eventOtherZone {
		return f.TimeZoneOther
	}
	return f.TimeZone
}

// apply copies the form onto ev and returns every problem: the form's own
// (text that is not a date or a number) first, then the event's
// validation, one message per field.
func (f eventForm) apply(ev *admit.Event) admit.Problems {
	var p admit.Problems
	ev.Name, ev.Description, ev.Venue, ev.Address = f.Name, f.Description, f.Venue, f.Address
	ev.Slug = f.Slug
	if ev.Slug == "" {
		ev.Slug = admit.Slugify(f.Name)
	}
	ev.TimeZone = f.zone()
	ev.Currency, ev.ContactEmail = f.Currency, f.ContactEmail
	// The dates are wall-clock times in the event's zone; an unknown zone
	// is reported by validation, and the dates are then read as UTC only
	// to check their format.
	loc, err := time.LoadLocation(ev.TimeZone)
	if err != nil || ev.TimeZone == "" || ev.TimeZone == "Local" {
		loc = time.UTC
	}
	var ok bool
	if ev.StartsAt, ok = eventParseLocal(f.StartsAt, loc); !ok {
		p.Add("starts_at", "Enter a date and time such as 2027-03-15T09:00.")
	}
	if ev.EndsAt, ok = eventParseLocal(f.EndsAt, loc); !ok {
		p.Add("ends_at", "Enter a date and time such as 2027-03-15T18:00, or leave it empty.")
	}
	ev.HoldMinutes, err = strconv.Atoi(f.HoldMinutes)
	if err != nil {
		ev.HoldMinutes = 0 // validation says what is allowed
	}
	return eventMergeProblems(p, ev.ValidateDetails())
}

// eventParseLocal reads a datetime-local value in loc; empty is the zero
// time. Years outside 1900–9999 are refused: MySQL's DATETIME cannot hold
// them, and nobody means them.
func eventParseLocal(s string, loc *time.Location) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation(datetimeLocal, s, loc)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02T15:04:05", s, loc)
	}
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

func eventFormatLocal(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(datetimeLocal)
}

// eventMergeProblems adds the problems carried by a validation error to p,
// keeping the first message of each field.
func eventMergeProblems(p admit.Problems, err error) admit.Problems {
	var de *admit.Error
	if !errors.As(err, &de) || de.Code != admit.EINVALID {
		return p
	}
	more := de.Problems
	if len(more) == 0 {
		more = admit.Problems{{Field: de.Field, Message: de.Message}}
	}
	for _, pr := range more {
		if p.For(pr.Field) == "" {
			p = append(p, pr)
		}
	}
	return p
}

// eventInvalid returns the field problems of a storage error that is about
// the input (a taken slug, a currency that can no longer change), or nil
// for any other error.
func eventInvalid(err error) admit.Problems {
	return eventMergeProblems(nil, err)
}
