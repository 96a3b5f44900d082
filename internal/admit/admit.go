// Package admit holds the domain of the ticketing service: organizations,
// events, ticket types, holds, orders and tickets, their validation and the
// error codes every surface shares. It imports no HTTP, SQL, Redis or queue
// package; storage and surfaces talk to each other in these types.
package admit

import (
	"crypto/rand"
	"encoding/base32"
	"strconv"
	"strings"
)

// tokenEncoding is lower-case, unpadded base32 without easily confused
// characters' ambiguity problems mattering: tokens are compared exactly.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns an unguessable token of n random bytes, encoded as
// lower-case base32. 16 bytes give 128 bits, enough for ids that must not be
// enumerable (holds, ticket codes, order access tokens).
func NewToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms; continuing with a
		// weak token would be worse than stopping.
		panic("admit: crypto/rand failed: " + err.Error())
	}
	return tokenEncoding.EncodeToString(b)
}

// referenceAlphabet omits 0/O and 1/I/L so a reference read over the phone is
// unambiguous.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewReference returns a short, human-friendly order reference such as
// "K7Q-M3XP". It is unique enough to be a lookup key only together with a
// UNIQUE index; storage retries on collision.
func NewReference() string {
	b := make([]byte, 7)
	if _, err := rand.Read(b); err != nil {
		panic("admit: crypto/rand failed: " + err.Error())
	}
	var sb strings.Builder
	for i, v := range b {
		if i == 3 {
			sb.WriteByte('-')
		}
		sb.WriteByte(referenceAlphabet[int(v)%len(referenceAlphabet)])
	}
	return sb.String()
}

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
