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
