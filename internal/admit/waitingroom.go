package admit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"time"
)

// PassLifetime is how long an admission through the waiting room lasts:
// long enough to choose tickets and hold them.
const PassLifetime = 15 * time.Minute

// SignPass returns the admission pass of visitor for the event, valid until
// expires: an HMAC over both, so it cannot be forged, and bound to the
// visitor, so it is useless to anyone who copies it.
func SignPass(secret []byte, eventID int64, visitor string, expires time.Time) string {
	var exp [8]byte
	binary.BigEndian.PutUint64(exp[:], uint64(expires.Unix()))
	mac := passMAC(secret, eventID, visitor, exp[:])
	return base64.RawURLEncoding.EncodeToString(append(exp[:], mac...))
}

// VerifyPass reports whether pass admits visitor to the event at now.
func VerifyPass(secret []byte, eventID int64, visitor, pass string, now time.Time) bool {
	raw, err := base64.RawURLEncoding.DecodeString(pass)
	if err != nil || len(raw) != 8+sha256.Size || visitor == "" {
		return false
	}
	if int64(binary.BigEndian.Uint64(raw[:8])) < now.Unix() {
		return false
	}
	return hmac.Equal(raw[8:], passMAC(secret, eventID, visitor, raw[:8]))
}

func passMAC(secret []byte, eventID int64, visitor string, exp []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("admit-waiting-room\x00" + strconv.FormatInt(eventID, 10) + "\x00" + visitor + "\x00"))
	m.Write(exp)
	return m.Sum(nil)
}

// Place is where a visitor stands.
type Place struct {
	Rank     int64 // 0 is first in line
	Admitted int64 // how many places have been let through
	Size     int64 // how many are in the queue
}

// Through reports whether the visitor may pass.
func (p Place) Through() bool { return p.Rank < p.Admitted }

// Ahead is how many visitors wait before this one.
func (p Place) Ahead() int64 { return max(p.Rank-p.Admitted, 0) }

// Engagement is an event's waiting room engaged automatically: from Since
// it lets visitors through at RatePerMinute, until Until unless arrivals
// stay above the threshold, which keeps pushing Until on.
type Engagement struct {
	Since         time.Time
	Until         time.Time
	RatePerMinute int
}

// On reports whether the room is engaged at now.
func (e Engagement) On(now time.Time) bool { return !e.Until.IsZero() && now.Before(e.Until) }
