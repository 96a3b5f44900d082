package admit

import (
	"strings"
	"time"
	"unicode/utf8"
)

// OrderNote is an organizer's note on an order.
type OrderNote struct {
	ID        int64
	OrderID   int64
	Author    string // the member's name, or email
	Body      string
	CreatedAt time.Time
}

// MaxOrderNoteLength is the longest note on an order, in characters.
const MaxOrderNoteLength = 2000

// CheckOrderNote returns the note trimmed, or an EINVALID error on the
// field "note" when it is empty or too long.
func CheckOrderNote(body string) (string, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return "", FieldError("note", "Write the note first.")
	case utf8.RuneCountInString(body) > MaxOrderNoteLength:
		return "", FieldError("note", "Keep a note under 2,000 characters.")
	}
	return body, nil
}

// OrderEvent is one thing that happened to an order, for its timeline:
// placed, paid, emailed, refunded, checked in, a note, an organizer's
// action.
type OrderEvent struct {
	At     time.Time
	What   string
	Detail string
	By     string
}
