package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api/checkoutapi"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
)

const webhookSecret = "whsec_test_admit_api"

// recorder notes the requests that pass through a reverse proxy to
// stripe-mock, so a test can see what admit asked Stripe for.
type recorder struct {
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, path, idempotencyKey string
	form                         url.Values
}

func (r *recorder) find(method, path string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, q := range r.requests {
		if q.method == method && q.path == path {
			out = append(out, q)
		}
	}
	return out
}

func mustStripeMock(tb testing.TB) (string, *recorder) {
	tb.Helper()
	target := os.Getenv("ADMIT_TEST_STRIPE_MOCK_URL")
	if target == "" {
		target = "http://127.0.0.1:12111"
	}
	u, _ := url.Parse(target)
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rec.mu.Lock()
		rec.requests = append(rec.requests, recorded{r.Method, r.URL.Path, r.Header.Get("Idempotency-Key"), form})
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	resp, err := http.Get(target + "/v1/charges")
	if err != nil {
		tb.Fatalf("stripe-mock at %s: %v (start the stack: scripts/stack up)", target, err)
	}
	resp.Body.Close()
	return ts.URL, rec
}

type fixture struct {
	url    string
	db     *mysql.DB
	co     *checkout.Checkout
	org    *admit.Organization
	event  *admit.Event
	free   *admit.TicketType
	paid   *admit.TicketType
	other  *admit.TicketType // a ticket type of another event
	stripe *recorder
	// secrets are the holds' secrets, sent with every request on a hold
	// as the client that made it does (unless the request sets its own).
	secrets sync.Map
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{db: mysqltest.MustOpen(tb)}
	event := func(slug string) admit.Event {
		return admit.Event{Slug: slug, Name: "Event " + slug, TimeZone: "Europe/Berlin", StartsAt: time.Now().Add(60 * 24 * time.Hour)}
	}
	seed := mysqltest.MustSeed(tb, f.db, mysqltest.SeedSpec{
		Org:   admit.Organization{Slug: "acme", Name: "Acme"},
		Event: event("conf"),
		Types: []admit.TicketType{{Name: "Free", Quantity: 10, MaxPerOrder: 5}, {Name: "Paid", Price: 5000, Quantity: 3, MaxPerOrder: 5}},
	})
	f.org, f.event, f.free, f.paid = seed.Org, seed.Event, seed.Types[0], seed.Types[1]
	_, elsewhere := mysqltest.MustEvent(tb, f.db, f.org.ID, event("other"), admit.TicketType{Name: "Elsewhere", Price: 100, Quantity: 10, MaxPerOrder: 5})
	f.other = elsewhere[0]

	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 3})
	tb.Cleanup(func() { rdb.Close() })
	stripeURL, rec := mustStripeMock(tb)
	f.stripe = rec
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	stripe := payment.NewStripe(payment.StripeOptions{SecretKey: "sk_test_123", WebhookSecret: webhookSecret, APIBase: stripeURL})
	f.co = checkout.New(checkout.Options{
		Ledger: f.db, Gate: redis.NewInventory(rdb, "test:"+admit.NewToken(6)+":"),
		Providers: []payment.Provider{&payment.Offline{}, stripe}, BaseURL: "http://admit.test", Logger: logger,
	})
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry()})
	checkoutapi.New(checkoutapi.Options{Store: f.db, Checkout: f.co, Stripe: stripe, Logger: logger}).Register(srv.Echo())
	ts := httptest.NewServer(srv.Echo())
	tb.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		tb.Fatalf("response is not JSON (%v): %s", err, r.body)
	}
	return m
}

func (f *fixture) do(tb testing.TB, method, path, contentType, body string, header map[string]string) response {
	tb.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if rest, ok := strings.CutPrefix(path, "/api/checkout/v1/holds/"); ok {
		id, _, _ := strings.Cut(rest, "/")
		if secret, ok := f.secrets.Load(id); ok {
			req.Header.Set("Admit-Hold-Secret", secret.(string))
		}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (f *fixture) mustHold(tb testing.TB, items string) string {
	tb.Helper()
	r := f.do(tb, "POST", "/api/checkout/v1/events/acme/conf/holds", "application/json", `{"items":`+items+`}`, nil)
	if r.status != http.StatusCreated {
		tb.Fatalf("hold %s: %d %s", items, r.status, r.body)
	}
	h := r.json(tb)
	f.secrets.Store(h["id"].(string), h["secret"].(string))
	return h["id"].(string)
}

func (f *fixture) counters(tb testing.TB, t *admit.TicketType) (reserved, sold int) {
	tb.Helper()
	_, reserved, sold = mysqltest.Ledger(tb, f.db, t.ID)
	return reserved, sold
}

func items(id int64, quantity string) string {
	return fmt.Sprintf(`[{"ticket_type_id":%d,"quantity":%s}]`, id, quantity)
}

func TestHoldRejectsBadInput(t *testing.T) {
	f := mustFixture(t)
	for _, tt := range []struct {
		name, contentType, body string
		status                  int
		code, field             string
	}{
		{"zero quantity", "application/json", `{"items":` + items(f.free.ID, "0") + `}`, 422, "invalid", "items[0].quantity"},
		{"negative quantity", "application/json", `{"items":` + items(f.free.ID, "-1") + `}`, 422, "invalid", "items[0].quantity"},
		{"fractional quantity", "application/json", `{"items":` + items(f.free.ID, "1.5") + `}`, 422, "invalid", "items.quantity"},
		{"huge quantity", "application/json", `{"items":` + items(f.free.ID, "9223372036854775808") + `}`, 422, "invalid", "items.quantity"},
		{"text quantity", "application/json", `{"items":` + items(f.free.ID, `"two"`) + `}`, 422, "invalid", "items.quantity"},
		{"too many of a type", "application/json", `{"items":` + items(f.free.ID, "6") + `}`, 422, "invalid", fmt.Sprintf("ticket_type_%d", f.free.ID)},
		{"unknown ticket type", "application/json", `{"items":` + items(987654, "1") + `}`, 422, "invalid", "items[0].ticket_type_id"},
		{"another event's ticket type", "application/json", `{"items":` + items(f.other.ID, "1") + `}`, 422, "invalid", "items[0].ticket_type_id"},
		{"no items", "application/json", `{"items":[]}`, 422, "invalid", "items"},
		{"not JSON", "application/json", `{"items":`, 400, "invalid", ""},
		{"empty body", "application/json", ``, 400, "invalid", ""},
		{"form body", "application/x-www-form-urlencoded", `items=1`, 415, "unsupported_media_type", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "POST", "/api/checkout/v1/events/acme/conf/holds", tt.contentType, tt.body, nil)
			p := r.json(t)
			if r.status != tt.status || p["code"] != tt.code || (tt.field != "" && p["field"] != tt.field) {
				t.Errorf("got %d %s, want %d code %q field %q", r.status, r.body, tt.status, tt.code, tt.field)
			}
			if msg, _ := p["message"].(string); msg == "" || strings.Contains(msg, "goroutine") {
				t.Errorf("problem message %q is not a clear sentence", msg)
			}
		})
	}
	for _, tt := range []*admit.TicketType{f.free, f.paid, f.other} {
		if reserved, sold := f.counters(t, tt); reserved != 0 || sold != 0 {
			t.Errorf("%s changed by rejected requests: reserved %d sold %d", tt.Name, reserved, sold)
		}
	}
	if r := f.do(t, "POST", "/api/checkout/v1/events/acme/nope/holds", "application/json", `{"items":`+items(f.free.ID, "1")+`}`, nil); r.status != 404 {
		t.Errorf("hold for unknown event: %d %s", r.status, r.body)
	}
}

func TestHoldSoldOutNamesTheShortType(t *testing.T) {
	f := mustFixture(t)
	f.mustHold(t, items(f.paid.ID, "2"))
	r := f.do(t, "POST", "/api/checkout/v1/events/acme/conf/holds", "application/json",
		`{"items":[{"ticket_type_id":`+strconv.FormatInt(f.free.ID, 10)+`,"quantity":1},{"ticket_type_id":`+strconv.FormatInt(f.paid.ID, 10)+`,"quantity":2}]}`, nil)
	p := r.json(t)
	detail, _ := p["detail"].(map[string]any)
	if r.status != http.StatusConflict || p["code"] != "sold_out" || detail["name"] != "Paid" || detail["remaining"] != float64(1) {
		t.Fatalf("got %d %s, want 409 sold_out naming Paid with 1 remaining", r.status, r.body)
	}
	// Nothing of the failed request was kept: the free type is untouched.
	if reserved, _ := f.counters(t, f.free); reserved != 0 {
		t.Errorf("free type reserved %d after a refused multi-type hold", reserved)
	}
}

// TestOrderIgnoresClientPrices sends a price and currency with the order: the
// server's price is charged.
func TestOrderIgnoresClientPrices(t *testing.T) {
	f := mustFixture(t)
	hold := f.mustHold(t, `[{"ticket_type_id":`+strconv.FormatInt(f.paid.ID, 10)+`,"quantity":1,"price":1,"currency":"JPY"}]`)
	r := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json",
		`{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"Ada"}],"payment_method":"offline","total":1,"currency":"JPY","price":1}`, nil)
	o := r.json(t)
	if r.status != http.StatusCreated || o["total"] != float64(5000) || o["currency"] != "EUR" || o["status"] != "pending" {
		t.Fatalf("got %d %s, want 201 pending EUR 5000", r.status, r.body)
	}
}

func TestOrderRejectsBadHolds(t *testing.T) {
	f := mustFixture(t)
	body := `{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"Ada"}],"payment_method":"offline"}`
	if r := f.do(t, "POST", "/api/checkout/v1/holds/"+admit.NewToken(16)+"/order", "application/json", body, nil); r.status != 404 || r.json(t)["code"] != "not_found" {
		t.Errorf("unknown hold: %d %s", r.status, r.body)
	}
	hold := f.mustHold(t, items(f.free.ID, "2"))
	for _, tt := range []struct{ name, body, field string }{
		{"missing buyer email", `{"buyer":{"name":"Ada"},"attendees":[{"name":"A"},{"name":"B"}]}`, "buyer_email"},
		{"bad email", `{"buyer":{"name":"Ada","email":"ada@"},"attendees":[{"name":"A"},{"name":"B"}]}`, "buyer_email"},
		{"too few attendees", `{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"A"}]}`, "attendees"},
		{"nameless attendee", `{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"A"},{"name":" "}]}`, "attendees[1].name"},
		{"unknown payment method", `{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"A"},{"name":"B"}],"payment_method":"iou"}`, "payment_method"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", tt.body, nil)
			if p := r.json(t); r.status != 422 || p["field"] != tt.field {
				t.Errorf("got %d %s, want 422 on %s", r.status, r.body, tt.field)
			}
		})
	}
	var orders int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&orders)
	if orders != 0 {
		t.Errorf("%d orders created by invalid requests", orders)
	}
}

// TestHoldExpires checks that an expired hold cannot become an order and
// that its tickets are buyable again after the sweeper runs.
func TestHoldExpires(t *testing.T) {
	f := mustFixture(t)
	hold := f.mustHold(t, items(f.paid.ID, "3"))
	if r := f.do(t, "POST", "/api/checkout/v1/events/acme/conf/holds", "application/json", `{"items":`+items(f.paid.ID, "1")+`}`, nil); r.status != http.StatusConflict {
		t.Fatalf("hold while sold out: %d %s", r.status, r.body)
	}
	// Time passes: the hold's expiry (MySQL's clock) is now behind us.
	if _, err := f.db.SQL().Exec(`UPDATE holds SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE id = ?`, hold); err != nil {
		t.Fatal(err)
	}
	r := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json",
		`{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"A"},{"name":"B"},{"name":"C"}],"payment_method":"offline"}`, nil)
	if r.status != http.StatusGone || r.json(t)["code"] != "expired" {
		t.Fatalf("order on expired hold: %d %s, want 410 expired", r.status, r.body)
	}
	if err := f.co.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if reserved, sold := f.counters(t, f.paid); reserved != 0 || sold != 0 {
		t.Fatalf("after the sweep: reserved %d sold %d, want 0 0", reserved, sold)
	}
	if st := f.do(t, "GET", "/api/checkout/v1/holds/"+hold, "", "", nil).json(t)["status"]; st != "released" {
		t.Errorf("swept hold status %v, want released", st)
	}
	f.mustHold(t, items(f.paid.ID, "3"))
}

// TestIdempotencyKey sends one order 50 times at once with the same key:
// one order, and every answer is that order or "in progress"; the key with
// another body is refused.
func TestIdempotencyKey(t *testing.T) {
	f := mustFixture(t)
	hold := f.mustHold(t, items(f.free.ID, "1"))
	body := `{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"Ada"}]}`
	key := map[string]string{"Idempotency-Key": "order-" + admit.NewToken(6)}
	var wg sync.WaitGroup
	responses := make([]response, 50)
	for i := range responses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			responses[i] = f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, key)
		}()
	}
	wg.Wait()
	refs := map[string]bool{}
	created := 0
	for _, r := range responses {
		switch r.status {
		case http.StatusCreated:
			created++
			refs[r.json(t)["reference"].(string)] = true
		case http.StatusConflict:
			if r.json(t)["code"] != "conflict" {
				t.Errorf("409 without code conflict: %s", r.body)
			}
		default:
			t.Errorf("unexpected answer %d %s", r.status, r.body)
		}
	}
	if created == 0 || len(refs) != 1 {
		t.Fatalf("%d created answers naming %d orders, want at least one answer and exactly one order", created, len(refs))
	}
	var orders, tickets int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&orders)
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM tickets`).Scan(&tickets)
	if orders != 1 || tickets != 1 {
		t.Fatalf("%d orders and %d tickets in the ledger, want 1 and 1", orders, tickets)
	}
	// A later repeat replays the stored answer.
	r := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, key)
	if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "true" || !refs[r.json(t)["reference"].(string)] {
		t.Errorf("repeat: %d %s (replayed %q)", r.status, r.body, r.header.Get("Idempotent-Replayed"))
	}
	// The same key with another body is refused and changes nothing.
	r = f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", strings.Replace(body, "Ada\"}]", "Bob\"}]", 1), key)
	if r.status != 422 || r.json(t)["code"] != "idempotency_key_reused" {
		t.Errorf("key reused with another body: %d %s, want 422 idempotency_key_reused", r.status, r.body)
	}
	// Without a key, a repeat still finds the hold's one order.
	r = f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, nil)
	if r.status != http.StatusOK || !refs[r.json(t)["reference"].(string)] {
		t.Errorf("repeat without key: %d %s, want 200 with the same order", r.status, r.body)
	}
}

// TestHoldAnswersOnlyToItsMaker: a hold id travels in URLs and logs, so it
// opens nothing alone. Without the secret returned when it was made (or the
// cookie of the buyer who made it), a hold cannot be read, released or
// ordered, and its order, once placed, is never handed out again, not even
// as a replay of the same Idempotency-Key.
func TestHoldAnswersOnlyToItsMaker(t *testing.T) {
	f := mustFixture(t)
	hold := f.mustHold(t, items(f.free.ID, "1"))
	stranger := map[string]string{"Admit-Hold-Secret": "not-the-secret"}
	body := `{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"Ada"}]}`
	for _, r := range []response{
		f.do(t, "GET", "/api/checkout/v1/holds/"+hold, "", "", stranger),
		f.do(t, "DELETE", "/api/checkout/v1/holds/"+hold, "", "", stranger),
		f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, stranger),
		f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, map[string]string{"Admit-Hold-Secret": "", "Idempotency-Key": "k"}),
	} {
		if r.status != http.StatusNotFound || strings.Contains(string(r.body), "token") {
			t.Errorf("a stranger got %d %s, want 404", r.status, r.body)
		}
	}
	if reserved, sold := f.counters(t, f.free); reserved != 1 || sold != 0 {
		t.Fatalf("after the stranger: reserved %d sold %d, want the hold untouched", reserved, sold)
	}
	key := map[string]string{"Idempotency-Key": "same-key"}
	placed := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, key)
	if placed.status != http.StatusCreated || placed.json(t)["token"] == "" {
		t.Fatalf("the maker's order: %d %s", placed.status, placed.body)
	}
	for _, header := range []map[string]string{{"Admit-Hold-Secret": "x"}, {"Admit-Hold-Secret": "x", "Idempotency-Key": "same-key"}} {
		if r := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, header); r.status != http.StatusNotFound {
			t.Errorf("a stranger repeating the order (%v): %d %s, want 404", header, r.status, r.body)
		}
	}
	if r := f.do(t, "POST", "/api/checkout/v1/holds/"+hold+"/order", "application/json", body, key); r.status != http.StatusCreated ||
		r.header.Get("Idempotent-Replayed") != "true" || string(r.body) != string(placed.body) {
		t.Errorf("the maker's repeat: %d %s, want the first answer replayed", r.status, r.body)
	}
	// Another buyer of the organization picking the same key is not
	// refused: keys are scoped to their hold.
	other := f.mustHold(t, items(f.free.ID, "1"))
	if r := f.do(t, "POST", "/api/checkout/v1/holds/"+other+"/order", "application/json", body, key); r.status != http.StatusCreated {
		t.Errorf("another buyer with the same key: %d %s, want 201", r.status, r.body)
	}
}
