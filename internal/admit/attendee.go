package admit

import "time"

// AttendeeTicket is one ticket of an event with its attendee, its order and
// whether it is checked in.
type AttendeeTicket struct {
	TicketID       int64
	Code           string
	AttendeeName   string
	AttendeeEmail  string
	TicketType     string
	TicketStatus   TicketStatus
	OrderID        int64
	OrderReference string
	OrderStatus    OrderStatus
	BuyerName      string
	// CheckedInAt is the latest check-in in force on any of the event's
	// lists, zero if none; CheckedInOn names those lists.
	CheckedInAt time.Time
	CheckedInOn string
}

// AttendeeFilter narrows ListAttendees.
type AttendeeFilter struct {
	Query        string // attendee name or email (part of), ticket code or order reference
	TicketTypeID int64  // zero: any
	CheckedIn    string // "yes", "no", or "": either
	// QuestionID, if set, keeps tickets whose answer to that question
	// contains Answer (any non-empty answer when Answer is empty).
	QuestionID int64
	Answer     string
	Limit      int
	Offset     int
}
