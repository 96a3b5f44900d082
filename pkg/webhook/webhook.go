// Package webhook verifies the webhooks that Admit sends, for integrators
// who receive them in Go.
//
// Admit signs every delivery following the Standard Webhooks specification
// (https://www.standardwebhooks.com): three headers,
//
//	webhook-id         the event's id, the same on every retry (deduplicate on it)
//	webhook-timestamp  when this attempt was signed, in Unix seconds
//	webhook-signature  "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))
//
// where key is the base64-decoded part of the endpoint's secret after its
// "whsec_" prefix. While a secret is being rotated, webhook-signature holds
// a signature for each valid secret, separated by spaces; one match is
// enough.
//
// Verify the raw body exactly as received, before decoding it: any change,
// even of white space, breaks the signature.
//
//	// secret is the endpoint's signing secret, from its page in the Admit console.
//	func receive(w http.ResponseWriter, r *http.Request) {
//		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//		if err != nil {
//			http.Error(w, "cannot read body", http.StatusBadRequest)
//			return
//		}
//		if err := webhook.Verify(secret, r.Header, body, 0); err != nil {
//			http.Error(w, err.Error(), http.StatusUnauthorized)
//			return
//		}
//		// Decode body, skip a webhook-id already handled, act on the event.
//		w.WriteHeader(http.StatusNoContent)
//	}
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock when no tolerance is given.
const DefaultTolerance = 5 * time.Minute

// Header names of a signed delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Errors that Verify returns; compare with errors.Is.
var (
	// ErrMissingHeaders: webhook-id, webhook-timestamp or webhook-signature
	// is absent or empty.
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	// ErrInvalidTimestamp: webhook-timestamp is not a number of seconds.
	ErrInvalidTimestamp = errors.New("webhook: webhook-timestamp is not a Unix time in seconds")
	// ErrTimestampTooOld: the delivery was signed longer ago than the
	// tolerance (a replay, or a clock far behind).
	ErrTimestampTooOld = errors.New("webhook: timestamp too old")
	// ErrTimestampTooNew: the delivery claims to be signed further in the
	// future than the tolerance.
	ErrTimestampTooNew = errors.New("webhook: timestamp too far in the future")
	// ErrInvalidSignature: no signature matches the secret and the body.
	ErrInvalidSignature = errors.New("webhook: no matching signature")
	// ErrInvalidSecret: the secret is not "whsec_" followed by base64.
	ErrInvalidSecret = errors.New("webhook: the secret is not whsec_ followed by base64")
)

// Verifier checks deliveries against one or more secrets: during a
// rotation on the receiver's side, give it both.
type Verifier struct {
	keys [][]byte
	// Tolerance is how far the timestamp may be from Now; zero means
	// DefaultTolerance.
	Tolerance time.Duration
	// Now is the receiver's clock; nil means time.Now.
	Now func() time.Time
}

// NewVerifier returns a Verifier for the endpoint secrets ("whsec_...").
func NewVerifier(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, ErrInvalidSecret
	}
	v := &Verifier{}
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil || len(key) == 0 {
			return nil, ErrInvalidSecret
		}
		v.keys = append(v.keys, key)
	}
	return v, nil
}

// Verify reports whether body with header is a delivery signed with one of
// the verifier's secrets, and recent: nil if so, else one of the errors
// above.
func (v *Verifier) Verify(header http.Header, body []byte) error {
	id, ts, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tolerance := v.Tolerance
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	at := time.Unix(sec, 0)
	switch n := now(); {
	case at.Before(n.Add(-tolerance)):
		return ErrTimestampTooOld
	case at.After(n.Add(tolerance)):
		return ErrTimestampTooNew
	}
	for _, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		want := mac.Sum(nil)
		for _, sig := range strings.Fields(sigs) {
			version, encoded, ok := strings.Cut(sig, ",")
			if !ok || version != "v1" {
				continue // another scheme (v1a is asymmetric): not ours to check
			}
			got, err := base64.StdEncoding.DecodeString(encoded)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrInvalidSignature
}

// Verify checks one delivery against secret with the given tolerance (zero
// means DefaultTolerance). It returns nil for a genuine, recent delivery.
func Verify(secret string, header http.Header, body []byte, tolerance time.Duration) error {
	v, err := NewVerifier(secret)
	if err != nil {
		return err
	}
	v.Tolerance = tolerance
	return v.Verify(header, body)
}
