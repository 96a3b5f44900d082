package api_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api/checkoutapi"
	v1 "github.com/admithq/admit/internal/api/v1"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	client "github.com/admithq/admit/pkg/admit"
)

// v1Tenant is one organization with an event, two ticket types and a
// check-in list, and tokens with different scopes.
type v1Tenant struct {
	org   *admit.Organization
	owner *admit.User
	event *admit.Event
	free  *admit.TicketType // free, 10
	paid  *admit.TicketType // 50.00 EUR, 3
	list  *admit.CheckInList
	// tokens by scope set: "all", "read", "write", "checkin"
	secrets map[string]string
	tokens  map[string]*admit.APIToken
}

type v1Fixture struct {
	url  string
	db   *mysql.DB
	co   *checkout.Checkout
	echo *echo.Echo
	a, b v1Tenant
}

// mustV1Fixture starts the API on a fresh database with two
// organizations; opts adjust the API's options (rate limits).
func mustV1Fixture(tb testing.TB, opts ...func(*v1.Options)) *v1Fixture {
	tb.Helper()
	f := &v1Fixture{db: mysqltest.MustOpen(tb)}
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: 12})
	tb.Cleanup(func() { rdb.Close() })
	prefix := "test:" + admit.NewToken(6) + ":"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.co = checkout.New(checkout.Options{Ledger: f.db, Gate: redis.NewInventory(rdb, prefix),
		Providers: []payment.Provider{&payment.Offline{}}, BaseURL: "http://admit.test", Logger: logger})
	o := v1.Options{Store: f.db, Checkout: f.co, Logger: logger, Limiter: redis.NewLimiter(rdb, prefix), RateLimit: 100000}
	for _, opt := range opts {
		opt(&o)
	}
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry()})
	checkoutapi.New(checkoutapi.Options{Store: f.db, Checkout: f.co, Logger: logger}).Register(srv.Echo())
	v1.New(o).Register(srv.Echo())
	f.echo = srv.Echo()
	ts := httptest.NewServer(srv.Echo())
	tb.Cleanup(ts.Close)
	f.url = ts.URL
	f.a = f.mustTenant(tb, "alpha")
	f.b = f.mustTenant(tb, "beta")
	return f
}

func (f *v1Fixture) mustTenant(tb testing.TB, slug string) v1Tenant {
	tb.Helper()
	ctx := context.Background()
	t := v1Tenant{org: &admit.Organization{Slug: slug, Name: strings.ToUpper(slug)}, secrets: map[string]string{}, tokens: map[string]*admit.APIToken{}}
	t.owner = &admit.User{Email: slug + "@example.com", Name: slug, PasswordHash: "x"}
	if err := f.db.SignUp(ctx, t.org, t.owner); err != nil {
		tb.Fatal(err)
	}
	t.event = &admit.Event{OrganizationID: t.org.ID, Slug: "conf", Name: slug + " conf", TimeZone: "Europe/Berlin",
		StartsAt: time.Now().Add(30 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := f.db.CreateEvent(ctx, t.event); err != nil {
		tb.Fatal(err)
	}
	mkType := func(name string, price int64, qty int) *admit.TicketType {
		tt := &admit.TicketType{OrganizationID: t.org.ID, EventID: t.event.ID, Name: name, Price: price, Quantity: qty, MinPerOrder: 1, MaxPerOrder: 5}
		if err := f.db.CreateTicketType(ctx, tt); err != nil {
			tb.Fatal(err)
		}
		return tt
	}
	t.free = mkType("Free", 0, 10)
	t.paid = mkType("Paid", 5000, 3)
	// The event's default list admits every ticket type, those created
	// after it too.
	lists, err := f.db.ListCheckInLists(ctx, t.org.ID, t.event.ID)
	if err != nil || len(lists) != 1 || lists[0].Name != "Main entrance" || len(lists[0].TicketTypeIDs) != 2 {
		tb.Fatalf("the event's default check-in list: %v %v", lists, err)
	}
	t.list = lists[0]
	for name, scopes := range map[string][]string{
		"all":     {admit.ScopeRead, admit.ScopeWrite, admit.ScopeCheckIn},
		"read":    {admit.ScopeRead},
		"write":   {admit.ScopeWrite},
		"checkin": {admit.ScopeCheckIn},
	} {
		tok := &admit.APIToken{OrganizationID: t.org.ID, Name: slug + " " + name, Scopes: scopes}
		secret, err := f.db.CreateAPIToken(ctx, tok, t.owner.ID)
		if err != nil {
			tb.Fatal(err)
		}
		t.secrets[name], t.tokens[name] = secret, tok
	}
	return t
}

// client returns an API client of tenant t with the token named scopes.
func (f *v1Fixture) client(t v1Tenant, scopes string, opts ...client.Option) *client.Client {
	return client.New(f.url, t.secrets[scopes], append([]client.Option{client.WithBackoff(10*time.Millisecond, 50*time.Millisecond)}, opts...)...)
}

// raw sends a request with token (none if empty) and returns the answer.
func (f *v1Fixture) raw(tb testing.TB, method, path, token, contentType, body string, header map[string]string) response {
	tb.Helper()
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	for k, v := range header {
		h[k] = v
	}
	return (&fixture{url: f.url}).do(tb, method, path, contentType, body, h)
}

// mustCode asserts that err is an API error with the status, code and
// (if not empty) field.
func mustCode(tb testing.TB, err error, status int, code, field string) *client.Error {
	tb.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		tb.Fatalf("got %v, want an API error %d %s", err, status, code)
	}
	if e.StatusCode != status || e.Code != code || (field != "" && e.Field != field) {
		tb.Fatalf("got %d %s field %q (%s), want %d %s field %q", e.StatusCode, e.Code, e.Field, e.Message, status, code, field)
	}
	if e.Message == "" || strings.Contains(e.Message, "goroutine") || strings.Contains(e.Message, "sql:") {
		tb.Fatalf("error message %q is not a clear sentence", e.Message)
	}
	return e
}

func (f *v1Fixture) counters(tb testing.TB, t *admit.TicketType) (reserved, sold int) {
	tb.Helper()
	_, reserved, sold = mysqltest.Ledger(tb, f.db, t.ID)
	return reserved, sold
}

func (f *v1Fixture) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestV1Authentication(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	for _, tt := range []struct{ name, header string }{
		{"no header", ""},
		{"not bearer", "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))},
		{"empty bearer", "Bearer "},
		{"unknown token", "Bearer adm_" + admit.NewToken(32)},
		{"malformed token", "Bearer " + strings.Repeat("x", 10)},
		{"token without prefix", "Bearer " + strings.TrimPrefix(f.a.secrets["all"], "adm_")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.header != "" {
				h["Authorization"] = tt.header
			}
			r := f.raw(t, "GET", "/api/v1/me", "", "", "", h)
			if r.status != 401 || r.json(t)["code"] != "unauthorized" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("got %d %s (WWW-Authenticate %q), want 401 unauthorized", r.status, r.body, r.header.Get("WWW-Authenticate"))
			}
		})
	}

	me, err := f.client(f.a, "read").Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.Organization.Slug != "alpha" || me.Organization.ID != f.a.org.ID || len(me.Scopes) != 1 || me.Scopes[0] != "read" ||
		me.Token.Name != "alpha read" || !strings.HasPrefix(f.a.secrets["read"], me.Token.Prefix) {
		t.Errorf("me: %+v", me)
	}
	tokens, err := f.db.ListAPITokens(ctx, f.a.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.ID == f.a.tokens["read"].ID && tok.LastUsedAt.IsZero() {
			t.Error("the token's last use was not recorded")
		}
	}

	// Revoking takes effect on the very next request: no cache.
	c := f.client(f.a, "all")
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.RevokeAPIToken(ctx, f.a.org.ID, f.a.tokens["all"].ID, f.a.owner.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(ctx)
	mustCode(t, err, 401, "unauthorized", "")
	// Another organization cannot revoke alpha's token.
	if _, _, err := f.db.RevokeAPIToken(ctx, f.b.org.ID, f.a.tokens["read"].ID, f.b.owner.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("revoking another organization's token: %v", err)
	}
	if _, err := f.client(f.a, "read").Me(ctx); err != nil {
		t.Errorf("alpha's read token after beta's attempt to revoke it: %v", err)
	}
}

// TestV1Scopes: a read-only token gets 403 on every write and changes
// nothing; a check-in token reads check-in lists and checks in, nothing
// else.
func TestV1Scopes(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	order := f.mustOrder(t, f.a, "offline")
	a := f.a
	writes := []struct{ method, path, body string }{
		{"POST", "/api/v1/orders", `{"event_id":` + id(a.event.ID) + `,"buyer":{"name":"A","email":"a@example.com"},"items":[{"ticket_type_id":` + id(a.free.ID) + `,"quantity":1}]}`},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/cancel", ``},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/mark-paid", ``},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/refund", ``},
		{"PATCH", "/api/v1/tickets/" + id(order.Tickets[0].ID), `{"attendee_name":"Mallory"}`},
		{"POST", "/api/v1/tickets/" + id(order.Tickets[0].ID) + "/void", ``},
		{"POST", "/api/v1/events/" + id(a.event.ID) + "/discount-codes", `{"code":"FREE","kind":"percent","value":10000}`},
	}
	for _, w := range writes {
		for _, token := range []string{"read", "checkin"} {
			r := f.raw(t, w.method, w.path, a.secrets[token], "application/json", w.body, nil)
			if r.status != 403 || r.json(t)["code"] != "forbidden" {
				t.Errorf("%s %s with the %s token: %d %s, want 403", w.method, w.path, token, r.status, r.body)
			}
		}
	}
	r := f.raw(t, "POST", "/api/v1/checkin-lists/"+id(a.list.ID)+"/checkins", a.secrets["read"], "application/json", `{"code":"x"}`, nil)
	if r.status != 403 {
		t.Errorf("check-in with a read token: %d %s", r.status, r.body)
	}
	if got := f.count(t, `SELECT COUNT(*) FROM orders`); got != 1 {
		t.Errorf("%d orders after refused writes, want 1", got)
	}
	if o, err := f.client(a, "read").Orders.Get(ctx, order.ID, client.ExpandTickets); err != nil || o.Status != "pending" || o.Tickets[0].AttendeeName != "Ada" {
		t.Errorf("order after refused writes: %+v %v", o, err)
	}
	if f.count(t, `SELECT COUNT(*) FROM discount_codes`) != 0 {
		t.Error("a read token created a discount code")
	}

	// The check-in token: lists and check-ins yes, orders no.
	ci := f.client(a, "checkin")
	if _, err := ci.CheckInLists.Get(ctx, a.list.ID); err != nil {
		t.Errorf("check-in token reading its list: %v", err)
	}
	if _, err := ci.CheckInLists.Tickets(ctx, a.list.ID, client.ListParams{}); err != nil {
		t.Errorf("check-in token syncing tickets: %v", err)
	}
	_, err := ci.Orders.List(ctx, client.OrderListParams{})
	mustCode(t, err, 403, "forbidden", "")
	_, err = ci.Events.List(ctx, client.ListParams{})
	mustCode(t, err, 403, "forbidden", "")
	// A write-only token cannot read.
	_, err = f.client(a, "write").Orders.Get(ctx, order.ID)
	mustCode(t, err, 403, "forbidden", "")
}

// TestV1TenantIsolation: beta's tokens get 404 for every object of alpha,
// read or write, and change nothing.
func TestV1TenantIsolation(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	order := f.mustOrder(t, a, "")
	ticket := order.Tickets[0]
	checkIn, err := f.client(a, "all").CheckInLists.CheckIn(ctx, a.list.ID, ticket.Code)
	if err != nil {
		t.Fatal(err)
	}
	f.mustQuestionAndCode(t, a)
	beta := f.b.secrets["all"]
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/v1/events/" + id(a.event.ID), ""},
		{"GET", "/api/v1/events/" + id(a.event.ID) + "/ticket-types", ""},
		{"GET", "/api/v1/ticket-types/" + id(a.paid.ID), ""},
		{"GET", "/api/v1/orders/" + id(order.ID), ""},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/cancel", ""},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/mark-paid", ""},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/refund", ""},
		{"GET", "/api/v1/events/" + id(a.event.ID) + "/tickets", ""},
		{"GET", "/api/v1/tickets/" + id(ticket.ID), ""},
		{"PATCH", "/api/v1/tickets/" + id(ticket.ID), `{"attendee_name":"Mallory"}`},
		{"POST", "/api/v1/tickets/" + id(ticket.ID) + "/void", ""},
		{"GET", "/api/v1/events/" + id(a.event.ID) + "/checkin-lists", ""},
		{"GET", "/api/v1/checkin-lists/" + id(a.list.ID), ""},
		{"GET", "/api/v1/checkin-lists/" + id(a.list.ID) + "/tickets", ""},
		{"GET", "/api/v1/checkin-lists/" + id(a.list.ID) + "/checkins", ""},
		{"POST", "/api/v1/checkin-lists/" + id(a.list.ID) + "/checkins", `{"code":"` + ticket.Code + `"}`},
		{"DELETE", "/api/v1/checkin-lists/" + id(a.list.ID) + "/checkins/" + id(checkIn.CheckIn.ID), ""},
		{"POST", "/api/v1/checkin-lists/" + id(f.b.list.ID) + "/checkins", `{"code":"` + ticket.Code + `"}`},
		{"GET", "/api/v1/events/" + id(a.event.ID) + "/discount-codes", ""},
		{"POST", "/api/v1/events/" + id(a.event.ID) + "/discount-codes", `{"code":"STEAL","kind":"percent","value":10000}`},
		{"GET", "/api/v1/events/" + id(a.event.ID) + "/questions", ""},
	} {
		resp := f.raw(t, r.method, r.path, beta, "application/json", r.body, nil)
		if resp.status != 404 || resp.json(t)["code"] != "not_found" || strings.Contains(string(resp.body), "alpha") {
			t.Errorf("%s %s with beta's token: %d %s, want 404", r.method, r.path, resp.status, resp.body)
		}
	}
	// Lists of beta's own objects never show alpha's.
	bc := f.client(f.b, "all")
	for o, err := range bc.Orders.All(ctx, client.OrderListParams{EventID: a.event.ID}) {
		t.Errorf("beta listing orders of alpha's event: %+v %v", o, err)
	}
	for e, err := range bc.Events.All(ctx, client.ListParams{}) {
		if err != nil || e.ID == a.event.ID {
			t.Errorf("beta's events: %+v %v", e, err)
		}
	}
	// Creating an order for alpha's event names the field, as for no event.
	_, err = bc.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "M", Email: "m@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.free.ID, Quantity: 1}}})
	mustCode(t, err, 422, "invalid", "event_id")
	// Beta's event with alpha's ticket type: no such ticket type.
	_, err = bc.Orders.Create(ctx, client.OrderCreateParams{EventID: f.b.event.ID, Buyer: client.Person{Name: "M", Email: "m@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.free.ID, Quantity: 1}}})
	mustCode(t, err, 422, "invalid", "items[0].ticket_type_id")

	after, err := f.client(a, "all").Orders.Get(ctx, order.ID, client.ExpandTickets)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != "paid" || after.Tickets[0].Status != "valid" || after.Tickets[0].AttendeeName != "Ada" {
		t.Errorf("alpha's order after beta's attempts: %+v", after)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM checkins WHERE undone_at IS NULL`); n != 1 {
		t.Errorf("%d check-ins in force, want alpha's 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM discount_codes`); n != 1 {
		t.Errorf("%d discount codes, want alpha's 1", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want alpha's 1", n)
	}
}

// TestV1BadInput: each malformed request is a clear 4xx naming the field
// where there is one, and changes nothing.
func TestV1BadInput(t *testing.T) {
	f := mustV1Fixture(t)
	token := f.a.secrets["all"]
	orderBody := `{"event_id":` + id(f.a.event.ID) + `,"buyer":{"name":"A","email":"a@example.com"},"items":[{"ticket_type_id":` + id(f.a.free.ID) + `,"quantity":1}]}`
	for _, tt := range []struct {
		name, method, path, contentType, body string
		status                                int
		code, field                           string
	}{
		{"form body", "POST", "/api/v1/orders", "application/x-www-form-urlencoded", "event_id=1", 415, "unsupported_media_type", ""},
		{"text body", "POST", "/api/v1/orders", "text/plain", orderBody, 415, "unsupported_media_type", ""},
		{"no content type", "POST", "/api/v1/orders", "", orderBody, 415, "unsupported_media_type", ""},
		{"invalid JSON", "POST", "/api/v1/orders", "application/json", `{"event_id":`, 400, "invalid", ""},
		{"not an object", "POST", "/api/v1/orders", "application/json", `[1,2]`, 422, "invalid", "body"},
		{"empty body", "POST", "/api/v1/orders", "application/json", ``, 400, "invalid", ""},
		{"two objects", "POST", "/api/v1/orders", "application/json", orderBody + orderBody, 422, "invalid", "body"},
		{"unknown field", "POST", "/api/v1/orders", "application/json", strings.Replace(orderBody, `{"event_id"`, `{"price":1,"event_id"`, 1), 422, "invalid", "price"},
		{"unknown nested field", "POST", "/api/v1/orders", "application/json", strings.Replace(orderBody, `"quantity":1`, `"quantity":1,"unit_price":0`, 1), 422, "invalid", "unit_price"},
		{"wrong type", "POST", "/api/v1/orders", "application/json", strings.Replace(orderBody, `"quantity":1`, `"quantity":"one"`, 1), 422, "invalid", "items.quantity"},
		{"zero quantity", "POST", "/api/v1/orders", "application/json", strings.Replace(orderBody, `"quantity":1`, `"quantity":0`, 1), 422, "invalid", "items[0].quantity"},
		{"no items", "POST", "/api/v1/orders", "application/json", `{"event_id":` + id(f.a.event.ID) + `,"buyer":{"name":"A","email":"a@example.com"},"items":[]}`, 422, "invalid", "items"},
		{"bad buyer email", "POST", "/api/v1/orders", "application/json", strings.Replace(orderBody, "a@example.com", "a@", 1), 422, "invalid", "buyer_email"},
		{"stripe payment", "POST", "/api/v1/orders", "application/json", strings.Replace(orderBody, `{"event_id"`, `{"payment_method":"stripe","event_id"`, 1), 422, "invalid", "payment_method"},
		{"ticket unknown field", "PATCH", "/api/v1/tickets/1", "application/json", `{"name":"x"}`, 422, "invalid", "name"},
		{"check-in without code", "POST", "/api/v1/checkin-lists/" + id(f.a.list.ID) + "/checkins", "application/json", `{}`, 422, "invalid", "code"},
		{"cancel with a body field", "POST", "/api/v1/orders/1/cancel", "application/json", `{"reason":"x"}`, 422, "invalid", "reason"},
		{"discount bad kind", "POST", "/api/v1/events/" + id(f.a.event.ID) + "/discount-codes", "application/json", `{"code":"X","kind":"half","value":1}`, 422, "invalid", "kind"},
		{"discount bad time", "POST", "/api/v1/events/" + id(f.a.event.ID) + "/discount-codes", "application/json", `{"code":"X","kind":"percent","value":100,"valid_until":"tomorrow"}`, 422, "invalid", "valid_until"},
		{"limit 1e9", "GET", "/api/v1/orders?limit=1e9", "", "", 422, "invalid", "limit"},
		{"limit huge", "GET", "/api/v1/orders?limit=1000000000", "", "", 422, "invalid", "limit"},
		{"limit abc", "GET", "/api/v1/events?limit=abc", "", "", 422, "invalid", "limit"},
		{"limit zero", "GET", "/api/v1/events?limit=0", "", "", 422, "invalid", "limit"},
		{"limit 201", "GET", "/api/v1/events?limit=201", "", "", 422, "invalid", "limit"},
		{"cursor garbage", "GET", "/api/v1/orders?cursor=%21%21%21", "", "", 422, "invalid", "cursor"},
		{"cursor not an id", "GET", "/api/v1/orders?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("DROP TABLE")), "", "", 422, "invalid", "cursor"},
		{"cursor negative", "GET", "/api/v1/events?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("-5")), "", "", 422, "invalid", "cursor"},
		{"cursor padded number", "GET", "/api/v1/events?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("007")), "", "", 422, "invalid", "cursor"},
		{"changed_since not a time", "GET", "/api/v1/orders?changed_since=yesterday", "", "", 422, "invalid", "changed_since"},
		{"changed_since without zone", "GET", "/api/v1/orders?changed_since=2027-01-01T10:00:00", "", "", 422, "invalid", "changed_since"},
		{"changed_since year 0", "GET", "/api/v1/orders?changed_since=0000-01-01T00:00:00Z", "", "", 422, "invalid", "changed_since"},
		{"changed_since year 999", "GET", "/api/v1/events/" + id(f.a.event.ID) + "/tickets?changed_since=0999-12-31T23:59:59Z", "", "", 422, "invalid", "changed_since"},
		{"changed_since offset past year 9999", "GET", "/api/v1/checkin-lists/" + id(f.a.list.ID) + "/tickets?changed_since=9999-12-31T23:00:00-05:00", "", "", 422, "invalid", "changed_since"},
		{"discount valid_from year 0", "POST", "/api/v1/events/" + id(f.a.event.ID) + "/discount-codes", "application/json", `{"code":"Y0","kind":"percent","value":100,"valid_from":"0000-01-01T00:00:00Z"}`, 422, "invalid", "valid_from"},
		{"changed_since on a list without it", "GET", "/api/v1/events/" + id(f.a.event.ID) + "/questions?changed_since=2027-01-01T10:00:00Z", "", "", 422, "invalid", "changed_since"},
		{"status unknown", "GET", "/api/v1/orders?status=shipped", "", "", 422, "invalid", "status"},
		{"event not an id", "GET", "/api/v1/orders?event=conf", "", "", 422, "invalid", "event"},
		{"expand unknown", "GET", "/api/v1/orders?expand=buyer", "", "", 422, "invalid", "expand"},
		{"path id not a number", "GET", "/api/v1/orders/abc", "", "", 404, "not_found", ""},
		{"unknown route", "GET", "/api/v1/nothing-here", "", "", 404, "not_found", ""},
		{"wrong method", "PUT", "/api/v1/orders", "application/json", orderBody, 405, "method_not_allowed", ""},
		{"idempotency key too long", "POST", "/api/v1/orders", "application/json", orderBody, 422, "invalid", "Idempotency-Key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.name == "idempotency key too long" {
				h["Idempotency-Key"] = strings.Repeat("k", 256)
			}
			r := f.raw(t, tt.method, tt.path, token, tt.contentType, tt.body, h)
			p := r.json(t)
			if r.status != tt.status || p["code"] != tt.code || (tt.field != "" && p["field"] != tt.field) {
				t.Errorf("got %d %s, want %d code %q field %q", r.status, r.body, tt.status, tt.code, tt.field)
			}
			if msg, _ := p["message"].(string); msg == "" || strings.Contains(msg, "goroutine") || strings.Contains(msg, "json:") {
				t.Errorf("problem message %q is not a clear sentence", msg)
			}
		})
	}
	t.Run("2 MB body", func(t *testing.T) {
		big := `{"event_id":1,"buyer":{"name":"` + strings.Repeat("a", 2<<20) + `"}}`
		r := f.raw(t, "POST", "/api/v1/orders", token, "application/json", big, nil)
		if r.status != 413 || r.json(t)["code"] != "body_too_large" {
			t.Errorf("got %d %.200s, want 413 body_too_large", r.status, r.body)
		}
	})
	if n := f.count(t, `SELECT COUNT(*) FROM orders`); n != 0 {
		t.Errorf("%d orders created by bad requests", n)
	}
	if reserved, sold := f.counters(t, f.a.free); reserved != 0 || sold != 0 {
		t.Errorf("free type touched by bad requests: reserved %d sold %d", reserved, sold)
	}
}

// TestV1Pagination walks a list page by page: every event once, in id
// order, and the cursor of the last page is null.
func TestV1Pagination(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	want := []int64{f.a.event.ID}
	for i := range 6 {
		e := &admit.Event{OrganizationID: f.a.org.ID, Slug: "ev-" + strconv.Itoa(i), Name: "Event " + strconv.Itoa(i), TimeZone: "UTC",
			StartsAt: time.Now().Add(time.Duration(i+1) * 24 * time.Hour), Currency: "EUR", HoldMinutes: 10}
		if err := f.db.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e.ID)
	}
	c := f.client(f.a, "read")
	var got []int64
	cursor := ""
	pages := 0
	for {
		page, err := c.Events.List(ctx, client.ListParams{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page.Data {
			got = append(got, e.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if pages != 4 || len(got) != len(want) {
		t.Fatalf("%d pages with %v, want 4 pages with %v", pages, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events in order %v, want %v", got, want)
		}
	}
	// The iterator sees the same, and a new event appears at the end
	// without repeating any.
	seen := map[int64]bool{}
	n := 0
	for e, err := range c.Events.All(ctx, client.ListParams{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[e.ID] {
			t.Fatalf("event %d twice", e.ID)
		}
		seen[e.ID] = true
		if n++; n == 2 {
			late := &admit.Event{OrganizationID: f.a.org.ID, Slug: "late", Name: "Late", TimeZone: "UTC", StartsAt: time.Now().Add(time.Hour), Currency: "EUR", HoldMinutes: 10}
			if err := f.db.CreateEvent(ctx, late); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != len(want)+1 {
		t.Errorf("the iterator yielded %d events, want %d", n, len(want)+1)
	}
	// A raw page: the next cursor is a string, the last page's null.
	r := f.raw(t, "GET", "/api/v1/events?limit=200", f.a.secrets["read"], "", "", nil)
	if p := r.json(t); r.status != 200 || p["next"] != nil || len(p["data"].([]any)) != n {
		t.Errorf("one page of all: %d %.300s", r.status, r.body)
	}
}

// TestV1RateLimit: a token over its limit gets 429 with Retry-After;
// another token of the same organization is not affected.
func TestV1RateLimit(t *testing.T) {
	f := mustV1Fixture(t, func(o *v1.Options) { o.RateLimit, o.RateWindow = 3, time.Minute })
	token := f.a.secrets["read"]
	limited := response{}
	for range 5 {
		r := f.raw(t, "GET", "/api/v1/me", token, "", "", nil)
		if r.status == 429 {
			limited = r
			break
		}
		if r.status != 200 {
			t.Fatalf("GET /me: %d %s", r.status, r.body)
		}
	}
	if limited.status != 429 || limited.json(t)["code"] != "rate_limited" {
		t.Fatalf("5 requests with a limit of 3: no 429 (%d %s)", limited.status, limited.body)
	}
	if s, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After %q, want 1 to 60 seconds", limited.header.Get("Retry-After"))
	}
	if r := f.raw(t, "GET", "/api/v1/me", f.a.secrets["all"], "", "", nil); r.status != 200 {
		t.Errorf("another token of the organization: %d", r.status)
	}
	// The client reports the wait when it may not retry that long.
	_, err := f.client(f.a, "read", client.WithMaxRetryWait(time.Millisecond)).Me(context.Background())
	if e := mustCode(t, err, 429, "rate_limited", ""); e.RetryAfter < time.Second {
		t.Errorf("client error RetryAfter %s", e.RetryAfter)
	}
}
