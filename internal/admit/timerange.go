package admit

import "time"

// EarliestTime and LatestTime bound every time admit stores. The ledger's
// DATETIME columns hold the years 1000 to 9999; a time outside them would
// fail in the database as an internal error instead of being refused as
// input.
var (
	EarliestTime = time.Date(1000, time.January, 1, 0, 0, 0, 0, time.UTC)
	LatestTime   = time.Date(9999, time.December, 31, 23, 59, 59, 999999000, time.UTC)
)

// StorableTime reports whether t lies between EarliestTime and LatestTime.
// A zero time means "not set" everywhere in admit and is not checked here.
func StorableTime(t time.Time) bool {
	return !t.Before(EarliestTime) && !t.After(LatestTime)
}

// timeRangeMessage is the one sentence every surface shows for a time out
// of range.
const timeRangeMessage = "Use a date between the years 1000 and 9999."

// checkTime adds a problem on field when t is set and out of range.
func checkTime(p *Problems, field string, t time.Time) {
	if !t.IsZero() && !StorableTime(t) {
		p.Add(field, timeRangeMessage)
	}
}

// TimeProblem returns EINVALID naming field when t is out of range, or nil.
func TimeProblem(field string, t time.Time) error {
	var p Problems
	checkTime(&p, field, t)
	return p.Err()
}
