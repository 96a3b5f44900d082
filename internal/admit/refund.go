package admit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Refund is one refund of some or all tickets of a paid order.
type Refund struct {
	ID          int64
	OrderID     int64
	Amount      int64
	Tickets     int
	Provider    string
	ProviderRef string
	// Released is the capacity the refund returned, per ticket type.
	Released []HoldItem
}

// MaxRefundReasonLength is the longest reason for a refund, in characters:
// a sentence or two for the audit log.
const MaxRefundReasonLength = 500

// CheckRefundReason returns the reason for a refund trimmed, or an
// EINVALID error on the field "reason": over MaxRefundReasonLength, holding
// control characters, or empty when required (the console asks every
// organizer why; the API accepts a refund without one).
func CheckRefundReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "" && required:
		return "", FieldError("reason", "Say why you refund: the reason is kept in the audit log.")
	case utf8.RuneCountInString(reason) > MaxRefundReasonLength:
		return "", FieldError("reason", "Keep the reason under 500 characters.")
	case strings.ContainsFunc(reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		return "", FieldError("reason", "The reason holds characters that cannot be stored.")
	}
	return reason, nil
}

// RefundAuditDetail is what the audit log says of a refund: the tickets,
// the amount and, when given, why.
func RefundAuditDetail(tickets int, amount int64, currency, reason string) string {
	s := itoa(tickets) + " tickets, " + FormatAmount(amount, currency)
	if tickets == 1 {
		s = "1 ticket, " + FormatAmount(amount, currency)
	}
	if reason != "" {
		s += "; reason: " + reason
	}
	return s
}
