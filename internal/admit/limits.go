package admit

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Failures is one allowance of failed attempts, such as wrong passwords
// for one account from one address: at most Max failures of Key within
// Window from the first.
type Failures struct {
	Key    string
	Max    int
	Window time.Duration
}

// FailureKey joins the parts of a failure key, hashing each so that
// whatever a client typed (an email address, a guessed code) makes a short
// key and never a second separator.
func FailureKey(kind string, parts ...string) string {
	key := kind
	for _, p := range parts {
		sum := sha256.Sum256([]byte(p))
		key += ":" + hex.EncodeToString(sum[:12])
	}
	return key
}
