package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/admithq/admit/internal/api/v1"
	client "github.com/admithq/admit/pkg/admit"
)

// TestV1Idempotency: a key replays the first answer, refuses another
// request, and makes 20 concurrent repeats one order.
func TestV1Idempotency(t *testing.T) {
	f := mustV1Fixture(t)
	a := f.a
	token := a.secrets["all"]
	body := `{"event_id":` + id(a.event.ID) + `,"buyer":{"name":"Ada","email":"ada@example.com"},"items":[{"ticket_type_id":` + id(a.free.ID) + `,"quantity":1}]}`
	key := map[string]string{"Idempotency-Key": "import-42"}
	first := f.raw(t, "POST", "/api/v1/orders", token, "application/json", body, key)
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	again := f.raw(t, "POST", "/api/v1/orders", token, "application/json", body, key)
	if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || again.json(t)["id"] != first.json(t)["id"] {
		t.Errorf("repeat: %d %s (replayed %q)", again.status, again.body, again.header.Get("Idempotent-Replayed"))
	}
	for _, tt := range []struct{ name, method, path, body string }{
		{"another body", "POST", "/api/v1/orders", strings.Replace(body, "Ada", "Bob", 1)},
		{"another route", "POST", "/api/v1/orders/" + id(int64(first.json(t)["id"].(float64))) + "/cancel", ""},
	} {
		r := f.raw(t, tt.method, tt.path, token, "application/json", tt.body, key)
		if p := r.json(t); r.status != 422 || p["code"] != "idempotency_key_reused" || p["field"] != "Idempotency-Key" {
			t.Errorf("%s with the same key: %d %s", tt.name, r.status, r.body)
		}
	}
	// Keys belong to their token: another token's same key is its own.
	other := f.raw(t, "POST", "/api/v1/orders", a.secrets["write"], "application/json", body, key)
	if other.status != 201 || other.header.Get("Idempotent-Replayed") != "" || other.json(t)["id"] == first.json(t)["id"] {
		t.Errorf("same key, another token: %d %s", other.status, other.body)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM orders`); n != 2 {
		t.Fatalf("%d orders, want 2", n)
	}

	// 20 at once with one key: one order; the others replay it or are told
	// to retry shortly.
	key = map[string]string{"Idempotency-Key": "burst"}
	var wg sync.WaitGroup
	responses := make([]response, 20)
	for i := range responses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			responses[i] = f.raw(t, "POST", "/api/v1/orders", token, "application/json", body, key)
		}()
	}
	wg.Wait()
	ids := map[any]bool{}
	for _, r := range responses {
		switch r.status {
		case 201:
			ids[r.json(t)["id"]] = true
		case 409:
			if r.json(t)["code"] != "conflict" || r.header.Get("Retry-After") == "" {
				t.Errorf("409 without conflict and Retry-After: %s", r.body)
			}
		default:
			t.Errorf("unexpected %d %s", r.status, r.body)
		}
	}
	if len(ids) != 1 || f.count(t, `SELECT COUNT(*) FROM orders`) != 3 {
		t.Errorf("%d distinct orders answered, %d in the ledger; want 1 and 3", len(ids), f.count(t, `SELECT COUNT(*) FROM orders`))
	}

	// An error answer is stored and replayed too (it was not a 5xx).
	bad := `{"event_id":` + id(a.event.ID) + `,"buyer":{"name":"Ada","email":"ada@"},"items":[{"ticket_type_id":` + id(a.free.ID) + `,"quantity":1}]}`
	key = map[string]string{"Idempotency-Key": "bad-email"}
	for range 2 {
		if r := f.raw(t, "POST", "/api/v1/orders", token, "application/json", bad, key); r.status != 422 {
			t.Errorf("invalid order with a key: %d %s", r.status, r.body)
		}
	}
	// DELETE and PATCH carry keys as well.
	order := f.mustOrder(t, a, "")
	ticketPath := "/api/v1/tickets/" + id(order.Tickets[0].ID)
	key = map[string]string{"Idempotency-Key": "rename-1"}
	for range 2 {
		if r := f.raw(t, "PATCH", ticketPath, token, "application/json", `{"attendee_name":"Ada L."}`, key); r.status != 200 {
			t.Errorf("rename with a key: %d %s", r.status, r.body)
		}
	}
	if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.renamed'`); n != 1 {
		t.Errorf("a replayed rename ran %d times", n)
	}
}

// faultProxy stands between the client and the real server and spoils
// chosen exchanges, the way networks and load balancers do.
type faultProxy struct {
	target *url.URL
	fault  func(n int, r *http.Request) string // "", "drop" or "502-after"
	mu     sync.Mutex
	seen   []seenRequest
}

type seenRequest struct {
	method, path, key string
	status            int
}

func mustFaultProxy(tb testing.TB, target string, fault func(n int, r *http.Request) string) (*faultProxy, string) {
	tb.Helper()
	u, _ := url.Parse(target)
	p := &faultProxy{target: u, fault: fault}
	ts := httptest.NewServer(p)
	tb.Cleanup(ts.Close)
	return p, ts.URL
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	n := len(p.seen)
	p.seen = append(p.seen, seenRequest{method: r.Method, path: r.URL.Path, key: r.Header.Get("Idempotency-Key")})
	p.mu.Unlock()
	record := func(status int) {
		p.mu.Lock()
		p.seen[n].status = status
		p.mu.Unlock()
	}
	action := p.fault(n, r)
	if action == "drop" {
		record(0)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI, out.Host = "", ""
	out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		record(502)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if action == "502-after" {
		// The server did the work; the answer is lost on the way back.
		record(502)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		return
	}
	record(resp.StatusCode)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

func (p *faultProxy) requests() []seenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]seenRequest(nil), p.seen...)
}

// TestClientRetryKeepsIdempotencyKey: the answer to an order is lost after
// the server made it; the client's retry carries the same key and gets the
// same order back, and the ledger holds one.
func TestClientRetryKeepsIdempotencyKey(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	proxy, proxyURL := mustFaultProxy(t, f.url, func(n int, r *http.Request) string {
		if n == 0 {
			return "502-after"
		}
		return ""
	})
	c := client.New(proxyURL, f.a.secrets["all"], client.WithBackoff(10*time.Millisecond, 50*time.Millisecond))
	o, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: f.a.event.ID, Buyer: client.Person{Name: "Ada", Email: "ada@example.com"},
		Items: []client.OrderItem{{TicketTypeID: f.a.free.ID, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	seen := proxy.requests()
	if len(seen) != 2 || seen[0].status != 502 || seen[1].status != 201 || seen[0].key == "" || seen[0].key != seen[1].key {
		t.Fatalf("requests through the proxy: %+v", seen)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM orders`); n != 1 {
		t.Fatalf("%d orders after a retried create, want 1", n)
	}
	var dbID int64
	f.db.SQL().QueryRow(`SELECT id FROM orders`).Scan(&dbID)
	if o.ID != dbID {
		t.Errorf("client got order %d, ledger has %d", o.ID, dbID)
	}
	if reserved, sold := f.counters(t, f.a.free); reserved != 0 || sold != 1 {
		t.Errorf("reserved %d sold %d, want 0 1", reserved, sold)
	}

	// A key given by the caller is the one sent; a new call gets a new key.
	if _, err := c.Orders.MarkPaid(ctx, o.ID, client.WithIdempotencyKey("mine-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Orders.MarkPaid(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	seen = proxy.requests()
	if seen[2].key != "mine-1" || seen[3].key == "" || seen[3].key == seen[0].key || seen[3].key == "mine-1" {
		t.Errorf("keys: %+v", seen)
	}
	// GETs carry no key.
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if seen = proxy.requests(); seen[len(seen)-1].key != "" {
		t.Errorf("a GET sent Idempotency-Key %q", seen[len(seen)-1].key)
	}
}

// TestClientRetriesDroppedConnections: a connection dropped mid-request is
// retried.
func TestClientRetriesDroppedConnections(t *testing.T) {
	f := mustV1Fixture(t)
	proxy, proxyURL := mustFaultProxy(t, f.url, func(n int, r *http.Request) string {
		if n < 2 {
			return "drop"
		}
		return ""
	})
	c := client.New(proxyURL, f.a.secrets["read"], client.WithBackoff(10*time.Millisecond, 50*time.Millisecond))
	me, err := c.Me(context.Background())
	if err != nil || me.Organization.Slug != "alpha" {
		t.Fatalf("me through a flaky network: %+v %v", me, err)
	}
	if n := len(proxy.requests()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	// Without retries the failure is reported.
	proxy2, proxyURL2 := mustFaultProxy(t, f.url, func(int, *http.Request) string { return "drop" })
	_, err = client.New(proxyURL2, f.a.secrets["read"], client.WithRetries(0)).Me(context.Background())
	if err == nil || len(proxy2.requests()) != 1 {
		t.Errorf("no retries: %v after %d attempts", err, len(proxy2.requests()))
	}
}

// TestClientRetriesRateLimited: over the token's limit, the client waits
// as Retry-After says and every call succeeds.
func TestClientRetriesRateLimited(t *testing.T) {
	f := mustV1Fixture(t, func(o *v1.Options) { o.RateLimit, o.RateWindow = 2, time.Second })
	proxy, proxyURL := mustFaultProxy(t, f.url, func(int, *http.Request) string { return "" })
	c := client.New(proxyURL, f.a.secrets["read"], client.WithRetries(5))
	for i := range 5 {
		if _, err := c.Events.Get(context.Background(), f.a.event.ID); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	limited := 0
	for _, s := range proxy.requests() {
		if s.status == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Error("5 calls with a limit of 2 a second met no 429: the limit or the test is broken")
	}
}

// TestClientErrors: problems decode into *Error with the field; a
// non-JSON error page still gives the status.
func TestClientErrors(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	_, err := f.client(f.a, "all").Orders.List(ctx, client.OrderListParams{ListParams: client.ListParams{Limit: 1000}})
	if e := mustCode(t, err, 422, "invalid", "limit"); len(e.Problems) != 1 || e.Problems[0].Field != "limit" || e.RequestID == "" {
		t.Errorf("error: %+v", e)
	}
	if !strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), "422") {
		t.Errorf("error text %q", err.Error())
	}
	_, proxyURL := mustFaultProxy(t, f.url, func(int, *http.Request) string { return "502-after" })
	_, err = client.New(proxyURL, f.a.secrets["all"], client.WithRetries(1), client.WithBackoff(time.Millisecond, time.Millisecond)).Me(ctx)
	mustCode(t, err, 502, "bad_gateway", "")
	_, err = f.client(f.a, "all").Orders.Get(ctx, 0)
	if err == nil {
		t.Error("getting order 0 did not fail")
	}
}
