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

// OfflineScan is a scan made at the door while the phone had no connection,
// as the phone sends it when back online. ID is the phone's own id for the
// scan: syncing it again returns the first answer and checks in nothing
// more.
type OfflineScan struct {
	ID   string
	Code string    // as scanned: signed or bare
	At   time.Time // when it was scanned, by the phone's clock; zero if unknown
}

// maxScanID is the longest scan id a phone may send (a UUID is 36).
const maxScanID = 64

// Validate reports whether the scan can be recorded: an id the phone made
// and a code of sensible length.
func (s *OfflineScan) Validate() error {
	s.ID = strings.TrimSpace(s.ID)
	switch {
	case s.ID == "" || len(s.ID) > maxScanID:
		return FieldError("id", "Each scan needs an id of at most 64 characters.")
	case len(s.Code) > 200:
		return FieldError("code", "A ticket code has at most 200 characters.")
	}
	return nil
}

// ScanResult is what an offline scan came to when it was synced. Replayed
// is true when the scan had been synced before (by this phone or another):
// the outcome is the one recorded then.
type ScanResult struct {
	ScanID   string
	Result   CheckInResult
	Replayed bool
}

// Flagged reports whether the door must look at the scan again: anything
// but a check-in made, such as a ticket scanned twice offline or already
// checked in on the server when the phone was cut off.
func (r ScanResult) Flagged() bool { return r.Result.Outcome != CheckInOK }

// OfflineList is what the door's phone keeps of a check-in list to check
// tickets in without a connection: the event's public key to verify signed
// codes, the ticket types the list admits, and the codes it must refuse
// (checked in already, void or unpaid) as of Fetched.
type OfflineList struct {
	ListID      int64
	EventID     int64
	Name        string
	EventName   string
	PublicKey   string
	TicketTypes map[int64]string // the types the list admits, by id
	CheckedIn   []string
	Refused     map[string]CheckInOutcome
	Fetched     time.Time
}
