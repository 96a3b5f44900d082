package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// SecretPrefix starts every endpoint secret, as in Standard Webhooks.
const SecretPrefix = "whsec_"

// NewSecret returns a new endpoint secret: whsec_ and 24 random bytes in
// base64.
func NewSecret() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand panics if the system's source does)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign returns the webhook-signature header of a delivery: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under each secret, separated by
// spaces (two during a rotation).
func Sign(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	ts := strconv.FormatInt(timestamp, 10)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
		if err != nil || len(key) == 0 || !strings.HasPrefix(s, SecretPrefix) {
			return "", errors.New("webhook: malformed endpoint secret")
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	if len(sigs) == 0 {
		return "", errors.New("webhook: no secret to sign with")
	}
	return strings.Join(sigs, " "), nil
}
