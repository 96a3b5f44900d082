package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/webhook"
	verify "github.com/admithq/admit/pkg/webhook"
)

func signedHeader(tb testing.TB, secrets []string, id string, ts int64, body []byte) http.Header {
	tb.Helper()
	sig, err := webhook.Sign(secrets, id, ts, body)
	if err != nil {
		tb.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", sig)
	return h
}

// TestSignKnownVector: the example of the Standard Webhooks specification.
func TestSignKnownVector(t *testing.T) {
	got, err := webhook.Sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

// TestSignVerifyRoundTrip: what admit signs, pkg/webhook verifies; any
// change is refused.
func TestSignVerifyRoundTrip(t *testing.T) {
	secret := webhook.NewSecret()
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+32 {
		t.Fatalf("secret %q: want whsec_ and 24 bytes in base64", secret)
	}
	body := []byte(`{"id":"evt_1","type":"order.paid","data":{}}`)
	now := time.Now().Unix()
	h := signedHeader(t, []string{secret}, "evt_1", now, body)
	if err := verify.Verify(secret, h, body, 0); err != nil {
		t.Fatalf("genuine delivery refused: %v", err)
	}
	if err := verify.Verify(secret, h, append(body[:len(body)-1:len(body)-1], ' ', '}'), 0); !errors.Is(err, verify.ErrInvalidSignature) {
		t.Errorf("tampered body: %v", err)
	}
	if err := verify.Verify(webhook.NewSecret(), h, body, 0); !errors.Is(err, verify.ErrInvalidSignature) {
		t.Errorf("wrong secret: %v", err)
	}
	old := signedHeader(t, []string{secret}, "evt_1", now-3600, body)
	if err := verify.Verify(secret, old, body, 0); !errors.Is(err, verify.ErrTimestampTooOld) {
		t.Errorf("an hour-old delivery: %v", err)
	}
}

// TestSignRotation: during a rotation a delivery carries two signatures,
// and a receiver holding either secret accepts it.
func TestSignRotation(t *testing.T) {
	current, previous := webhook.NewSecret(), webhook.NewSecret()
	body := []byte(`{"id":"evt_2"}`)
	h := signedHeader(t, []string{current, previous}, "evt_2", time.Now().Unix(), body)
	if n := len(strings.Fields(h.Get("webhook-signature"))); n != 2 {
		t.Fatalf("%d signatures during a rotation, want 2: %q", n, h.Get("webhook-signature"))
	}
	for _, s := range []string{current, previous} {
		if err := verify.Verify(s, h, body, 0); err != nil {
			t.Errorf("receiver with %s: %v", s, err)
		}
	}
	if _, err := webhook.Sign([]string{"not-a-secret"}, "evt_2", 1, body); err == nil {
		t.Error("a malformed secret signed")
	}
}
