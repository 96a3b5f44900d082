package faults

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/admithq/admit/pkg/webhook"
)

// receiver is the integrator's webhook endpoint: it verifies each
// delivery's signature with pkg/webhook, as the README tells integrators
// to, and records each event id with how often it arrived.
type receiver struct {
	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	secret   string
	received map[string]int // webhook-id -> deliveries
	forged   int            // deliveries whose signature did not verify
}

func startReceiver(addr string) (*receiver, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &receiver{ln: ln, received: map[string]int{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// URL is the endpoint's address.
func (r *receiver) URL() string { return "http://" + r.ln.Addr().String() + "/webhooks/admit" }

// SetSecret sets the endpoint's signing secret, known once it is created.
func (r *receiver) SetSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

func (r *receiver) Close() error { return r.srv.Close() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	if secret == "" || webhook.Verify(secret, req.Header, body, 5*time.Minute) != nil {
		r.mu.Lock()
		r.forged++
		r.mu.Unlock()
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID string `json:"id"`
	}
	json.Unmarshal(body, &ev)
	id := req.Header.Get("webhook-id")
	if id == "" || (ev.ID != "" && ev.ID != id) {
		http.Error(w, "webhook-id does not match the event", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.received[id]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Received returns how often each event id arrived, and how many
// deliveries failed verification.
func (r *receiver) Received() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.received))
	for k, v := range r.received {
		out[k] = v
	}
	return out, r.forged
}
