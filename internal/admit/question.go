package admit

import (
	"strings"
	"unicode/utf8"
)

// Question kinds.
const (
	QuestionText     = "text"
	QuestionChoice   = "choice"
	QuestionCheckbox = "checkbox"
)

// Question is asked for each ticket at checkout.
type Question struct {
	ID             int64
	OrganizationID int64
	EventID        int64
	Label          string
	Kind           string
	Options        []string
	Required       bool
	Position       int
	// TicketTypeIDs limits the question to these types; empty means all.
	TicketTypeIDs []int64
}

// Validate reports every problem with the question's fields.
func (q *Question) Validate() error {
	var p Problems
	q.Label = strings.TrimSpace(q.Label)
	switch {
	case q.Label == "":
		p.Add("label", "Write the question.")
	case utf8.RuneCountInString(q.Label) > 300:
		p.Add("label", "At most 300 characters.")
	}
	switch q.Kind {
	case QuestionText, QuestionCheckbox:
		q.Options = nil
	case QuestionChoice:
		var opts []string
		for _, o := range q.Options {
			if o = strings.TrimSpace(o); o != "" {
				opts = append(opts, o)
			}
		}
		q.Options = opts
		if len(opts) < 2 {
			p.Add("options", "Give at least two choices, one per line.")
		}
		for _, o := range opts {
			if utf8.RuneCountInString(o) > 200 {
				p.Add("options", "Each choice at most 200 characters.")
				break
			}
		}
	default:
		p.Add("kind", "Choose text, multiple choice or checkbox.")
	}
	return p.Err()
}

// AskedFor reports whether the question is asked for tickets of the type.
func (q *Question) AskedFor(ticketTypeID int64) bool {
	if len(q.TicketTypeIDs) == 0 {
		return true
	}
	for _, id := range q.TicketTypeIDs {
		if id == ticketTypeID {
			return true
		}
	}
	return false
}

// Answer checks a buyer's answer and returns it normalized: text trimmed,
// a choice one of the options, a checkbox "yes" or "".
func (q *Question) Answer(v string) (string, string) {
	v = strings.TrimSpace(v)
	switch q.Kind {
	case QuestionCheckbox:
		if v != "" && v != "no" {
			v = "yes"
		} else {
			v = ""
		}
	case QuestionChoice:
		if v != "" {
			found := false
			for _, o := range q.Options {
				if o == v {
					found = true
				}
			}
			if !found {
				return "", "Choose one of the options."
			}
		}
	case QuestionText:
		if utf8.RuneCountInString(v) > 1000 {
			return "", "At most 1,000 characters."
		}
	}
	if q.Required && v == "" {
		return "", "This question needs an answer."
	}
	return v, ""
}
