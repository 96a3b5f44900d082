package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/admithq/admit/pkg/webhook"
)

// A receiver verifies each delivery before trusting it.
func ExampleVerify() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", r.Header, body, 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// Decode body; skip the event if its webhook-id was handled already.
		w.WriteHeader(http.StatusNoContent)
	}
	http.HandleFunc("/webhooks/admit", handler)
}

// A Verifier with a fixed clock checks the Standard Webhooks example.
func ExampleVerifier() {
	v, err := webhook.NewVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	v.Now = func() time.Time { return time.Unix(1614265330, 0) }
	header := http.Header{}
	header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	header.Set("webhook-timestamp", "1614265330")
	header.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	fmt.Println(v.Verify(header, []byte(`{"test": 2432232314}`)))
	fmt.Println(v.Verify(header, []byte(`{"test": 1}`)))
	// Output:
	// <nil>
	// webhook: no matching signature
}
