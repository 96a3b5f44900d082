package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/admithq/admit/pkg/webhook"
)

// The example of the Standard Webhooks specification.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", sig)
	return h
}

// sign computes a signature by hand, independently of the package.
func sign(secret, id string, ts int64, body string) string {
	key, _ := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func at(ts int64) func() time.Time { return func() time.Time { return time.Unix(ts, 0) } }

func TestVerifySpecificationVector(t *testing.T) {
	if got := sign(specSecret, specID, specTimestamp, specBody); got != specSignature {
		t.Fatalf("hand-computed signature %s, the specification says %s", got, specSignature)
	}
	v, err := webhook.NewVerifier(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	v.Now = at(specTimestamp + 10)
	if err := v.Verify(headers(specID, specTimestamp, specSignature), []byte(specBody)); err != nil {
		t.Errorf("the specification's example: %v", err)
	}
}

func TestVerify(t *testing.T) {
	const other = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCEhIQ=="
	now := time.Now().Unix()
	good := sign(specSecret, "evt_1", now, specBody)
	for _, tt := range []struct {
		name   string
		secret string
		header http.Header
		body   string
		want   error
	}{
		{"genuine", specSecret, headers("evt_1", now, good), specBody, nil},
		{"secret without prefix", specSecret[len("whsec_"):], headers("evt_1", now, good), specBody, nil},
		{"one of two signatures", specSecret, headers("evt_1", now, sign(other, "evt_1", now, specBody)+" "+good), specBody, nil},
		{"unknown scheme ignored", specSecret, headers("evt_1", now, "v1a,AAAA "+good), specBody, nil},
		{"tampered body", specSecret, headers("evt_1", now, good), `{"test": 2432232315}`, webhook.ErrInvalidSignature},
		{"other id", specSecret, headers("evt_2", now, good), specBody, webhook.ErrInvalidSignature},
		{"wrong secret", other, headers("evt_1", now, good), specBody, webhook.ErrInvalidSignature},
		{"garbage signature", specSecret, headers("evt_1", now, "v1,!!!"), specBody, webhook.ErrInvalidSignature},
		{"old", specSecret, headers("evt_1", now-600, sign(specSecret, "evt_1", now-600, specBody)), specBody, webhook.ErrTimestampTooOld},
		{"future", specSecret, headers("evt_1", now+600, sign(specSecret, "evt_1", now+600, specBody)), specBody, webhook.ErrTimestampTooNew},
		{"no signature", specSecret, headers("evt_1", now, ""), specBody, webhook.ErrMissingHeaders},
		{"no headers", specSecret, http.Header{}, specBody, webhook.ErrMissingHeaders},
		{"bad timestamp", specSecret, func() http.Header { h := headers("evt_1", now, good); h.Set("webhook-timestamp", "soon"); return h }(), specBody, webhook.ErrInvalidTimestamp},
		{"bad secret", "whsec_***", headers("evt_1", now, good), specBody, webhook.ErrInvalidSecret},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.header, []byte(tt.body), 0)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestTolerance: a longer tolerance accepts an older delivery.
func TestTolerance(t *testing.T) {
	ts := time.Now().Add(-time.Hour).Unix()
	h := headers("evt_1", ts, sign(specSecret, "evt_1", ts, specBody))
	if err := webhook.Verify(specSecret, h, []byte(specBody), 0); !errors.Is(err, webhook.ErrTimestampTooOld) {
		t.Errorf("an hour old with the default tolerance: %v", err)
	}
	if err := webhook.Verify(specSecret, h, []byte(specBody), 2*time.Hour); err != nil {
		t.Errorf("an hour old with a two-hour tolerance: %v", err)
	}
}

// TestVerifierSecrets: a verifier holding two secrets accepts either.
func TestVerifierSecrets(t *testing.T) {
	const other = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCEhIQ=="
	v, err := webhook.NewVerifier(specSecret, other)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for _, s := range []string{specSecret, other} {
		if err := v.Verify(headers("evt_9", now, sign(s, "evt_9", now, "{}")), []byte("{}")); err != nil {
			t.Errorf("signed with %s: %v", s, err)
		}
	}
	if _, err := webhook.NewVerifier(); !errors.Is(err, webhook.ErrInvalidSecret) {
		t.Errorf("no secret: %v", err)
	}
}
