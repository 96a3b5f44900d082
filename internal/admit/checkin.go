package admit

import (
	"strings"
	"time"
	"unicode/utf8"
)

// CheckInList is one door (or day, or area) of an event: the ticket types it
// admits, each ticket at most once at a time.
type CheckInList struct {
	ID             int64
	OrganizationID int64
	EventID        int64
	EventName      string
	Name           string
	TicketTypeIDs  []int64
	CreatedAt      time.Time
	Progress       CheckInCount
}

// Validate reports the list's field problems: a name and at least one
// ticket type.
func (l *CheckInList) Validate() error {
	var p Problems
	l.Name = strings.TrimSpace(l.Name)
	switch {
	case l.Name == "":
		p.Add("name", "Name the list, such as “Main entrance”.")
	case utf8.RuneCountInString(l.Name) > 200:
		p.Add("name", "At most 200 characters.")
	}
	if len(l.TicketTypeIDs) == 0 {
		p.Add("ticket_types", "Choose at least one ticket type this list admits.")
	}
	return p.Err()
}

// CheckInCount is how many valid tickets have been checked in, out of those
// admitted.
type CheckInCount struct {
	CheckedIn int
	Admitted  int
}

// Percent is the share checked in, 0 to 100.
func (n CheckInCount) Percent() int {
	if n.Admitted == 0 {
		return 0
	}
	return min(100, 100*n.CheckedIn/n.Admitted)
}

// CheckInOutcome is what a scan of a ticket code came to.
type CheckInOutcome string

// Check-in outcomes. Only CheckInOK records anything; every other outcome
// is a refusal the door staff must act on.
const (
	CheckInOK        CheckInOutcome = "ok"
	CheckInAlready   CheckInOutcome = "already_checked_in"
	CheckInVoid      CheckInOutcome = "void"
	CheckInPending   CheckInOutcome = "pending"
	CheckInWrongList CheckInOutcome = "wrong_list"
	CheckInUnknown   CheckInOutcome = "unknown"
)

// CheckIn is one check-in of a ticket on a list, in force unless undone.
type CheckIn struct {
	ID           int64
	ListID       int64
	TicketID     int64
	Code         string
	AttendeeName string
	TicketType   string
	By           string // the staff member's name, or email
	At           time.Time
	UndoneAt     time.Time // zero while in force
	UndoneBy     string
}

// Active reports whether the check-in is in force.
func (c *CheckIn) Active() bool { return c.UndoneAt.IsZero() }

// CheckInResult is the answer to a scan: the outcome, the ticket if the code
// is one of this event's, and the check-in made (CheckInOK) or already in
// force (CheckInAlready).
type CheckInResult struct {
	Outcome        CheckInOutcome
	Code           string
	TicketID       int64
	TicketTypeID   int64
	TicketType     string
	TicketStatus   TicketStatus
	AttendeeName   string
	AttendeeEmail  string
	OrderID        int64
	OrderReference string
	OrderStatus    OrderStatus
	CheckIn        *CheckIn
}

// NormalizeTicketCode turns what staff typed or a scanner sent into the form
// codes are stored in: lower case, without spaces or hyphens.
func NormalizeTicketCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', '-':
			return -1
		}
		return r
	}, strings.ToLower(code))
}
