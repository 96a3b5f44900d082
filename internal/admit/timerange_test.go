package admit

import (
	"testing"
	"time"
)

// TestValidateRefusesUnstorableTimes: a time the ledger cannot hold is a
// field problem of every type that stores one, never a database error.
func TestValidateRefusesUnstorableTimes(t *testing.T) {
	year0 := time.Date(0, time.January, 1, 0, 0, 0, 0, time.UTC)
	far := time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC)
	ok := time.Date(2027, time.May, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, field string
		err         error
	}{
		{"event start", "starts_at", (&Event{Name: "E", Slug: "e", TimeZone: "UTC", Currency: "EUR", HoldMinutes: 10, StartsAt: year0}).Validate()},
		{"event end", "ends_at", (&Event{Name: "E", Slug: "e", TimeZone: "UTC", Currency: "EUR", HoldMinutes: 10, StartsAt: ok, EndsAt: far}).Validate()},
		{"sales start", "sales_start", (&TicketType{Name: "T", MinPerOrder: 1, MaxPerOrder: 1, SalesStart: year0}).Validate()},
		{"code valid from", "valid_from", (&DiscountCode{Code: "X", Kind: DiscountPercent, Value: 100, ValidFrom: year0}).Validate()},
		{"code valid until", "valid_until", (&DiscountCode{Code: "X", Kind: DiscountPercent, Value: 100, ValidUntil: far}).Validate()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var de *Error
			if tt.err == nil || ErrorCode(tt.err) != EINVALID {
				t.Fatalf("got %v, want EINVALID", tt.err)
			}
			de = tt.err.(*Error)
			if Problems(de.Problems).For(tt.field) != timeRangeMessage {
				t.Errorf("problems %v, want %q on %s", de.Problems, timeRangeMessage, tt.field)
			}
		})
	}
	if !StorableTime(EarliestTime) || !StorableTime(LatestTime) || StorableTime(LatestTime.Add(time.Microsecond)) {
		t.Error("the bounds themselves are misjudged")
	}
}
