package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/webhook"
	verify "github.com/admithq/admit/pkg/webhook"
)

// redisDB is this package's own Redis database: a test flushes it, so the
// tests here run one after the other.
const redisDB = 11

func sesURL() string {
	if v := os.Getenv("ADMIT_TEST_SES_ENDPOINT"); v != "" {
		return v
	}
	return "http://127.0.0.1:18005"
}

type fixture struct {
	db     *mysql.DB
	org    *admit.Organization
	owner  *admit.User
	co     *checkout.Checkout
	event  *admit.Event
	free   *admit.TicketType
	tag    string // in the owner's address, to find this test's emails
	logger *slog.Logger
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{db: mysqltest.MustOpen(tb), tag: "w" + strings.ToLower(admit.NewToken(5)),
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	seed := mysqltest.MustSeed(tb, f.db, mysqltest.SeedSpec{
		Org:   admit.Organization{Slug: "hooks", Name: "Hooks & Co"},
		Owner: &admit.User{Email: "owner-" + f.tag + "@example.com", Name: "Olive Owner", PasswordHash: string(hash)},
		Event: admit.Event{Slug: "conf", Name: "Conf", TimeZone: "Europe/Berlin", Venue: "Hall",
			StartsAt: time.Date(2030, 5, 4, 9, 0, 0, 0, time.UTC)},
		Types: []admit.TicketType{{Name: "Free", Quantity: 1000, MaxPerOrder: 5}},
	})
	f.org, f.owner, f.event, f.free = seed.Org, seed.Owner, seed.Event, seed.Types[0]
	f.co = checkout.New(checkout.Options{Ledger: f.db, Providers: []payment.Provider{&payment.Offline{}}, BaseURL: "http://admit.test", Logger: f.logger})
	return f
}

// mustEndpoint adds an endpoint straight to storage (the console's URL
// check is not the point here) and returns it.
func (f *fixture) mustEndpoint(tb testing.TB, url string, types ...string) *admit.WebhookEndpoint {
	tb.Helper()
	e := &admit.WebhookEndpoint{OrganizationID: f.org.ID, URL: url, EventTypes: types, Enabled: true, Secret: webhook.NewSecret()}
	if err := f.db.CreateWebhookEndpoint(context.Background(), e); err != nil {
		tb.Fatal(err)
	}
	return e
}

// mustPaidOrders places n free orders: each is paid at once, which writes
// its order.paid webhook event to the outbox.
func (f *fixture) mustPaidOrders(tb testing.TB, n int) []*admit.Order {
	tb.Helper()
	ctx := context.Background()
	var orders []*admit.Order
	for i := range n {
		h, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: f.free.ID, Quantity: 1}}, checkout.Client{})
		if err != nil {
			tb.Fatal(err)
		}
		placed, err := f.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: fmt.Sprintf("b%d-%s@example.com", i, f.tag),
			Attendees: []admit.Attendee{{Name: fmt.Sprintf("Attendee %d", i)}}})
		if err != nil {
			tb.Fatal(err)
		}
		orders = append(orders, placed.Order)
	}
	return orders
}

func mustFlushRedis(tb testing.TB) {
	tb.Helper()
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: redisDB})
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		tb.Fatalf("Redis: %v (start the stack: scripts/stack up)", err)
	}
}

// startWorker runs the worker as admit worker does (outbox relay, webhook
// dispatcher, concurrency 20) with o's settings, until the test ends.
func (f *fixture) startWorker(tb testing.TB, o webhook.Options) *webhook.Deliverer {
	tb.Helper()
	mustFlushRedis(tb)
	renderer, err := email.NewRenderer()
	if err != nil {
		tb.Fatal(err)
	}
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB}
	queue := asynq.NewClient(opt)
	o.Store, o.Queue, o.Logger, o.BaseURL = f.db, queue, f.logger, "http://admit.test"
	hooks := webhook.New(o)
	w := jobs.NewWorker(jobs.WorkerOptions{Redis: opt, Logger: f.logger, ShutdownTimeout: 5 * time.Second, RetryBase: 100 * time.Millisecond, Concurrency: 20})
	w.Handle(webhook.TypeDeliver, hooks)
	w.Handle(jobs.TypeOutbox, &jobs.Outbox{Store: f.db, Emails: renderer, Refunds: f.co, BaseURL: "http://admit.test",
		MailFrom: "Admit <tickets@admit.test>", Logger: f.logger, Webhooks: hooks,
		Mailer: email.NewSES(email.SESOptions{Region: "us-east-1", Endpoint: sesURL(), AccessKey: "local", SecretKey: "local"})})
	relay := &jobs.Relay{Store: f.db, Queue: queue, Logger: f.logger, RedeliverAfter: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); w.Run(ctx) }()
	go func() { defer wg.Done(); relay.Run(ctx, 50*time.Millisecond) }()
	go func() { defer wg.Done(); hooks.RunDispatcher(ctx, 20*time.Millisecond) }()
	tb.Cleanup(func() { cancel(); wg.Wait(); queue.Close() })
	return hooks
}

// received is one request as a receiver saw it.
type received struct {
	at     time.Time
	header http.Header
	body   []byte
	status int
}

// receiver is a real HTTP receiver on loopback that records every request
// and answers as respond says; n counts the requests with the same
// webhook-id, from 1.
type receiver struct {
	mu       sync.Mutex
	requests []received
	byID     map[string]int
	respond  func(w http.ResponseWriter, r *http.Request, n int) int
}

func newReceiver(respond func(w http.ResponseWriter, r *http.Request, n int) int) *receiver {
	return &receiver{byID: map[string]int{}, respond: respond}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	at := time.Now()
	rc.mu.Lock()
	rc.byID[r.Header.Get("webhook-id")]++
	n := rc.byID[r.Header.Get("webhook-id")]
	rc.mu.Unlock()
	status := rc.respond(w, r, n)
	rc.mu.Lock()
	rc.requests = append(rc.requests, received{at: at, header: r.Header.Clone(), body: body, status: status})
	rc.mu.Unlock()
}

// arrived counts the requests received, answered or not.
func (rc *receiver) arrived() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, c := range rc.byID {
		n += c
	}
	return n
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

func (rc *receiver) start(tb testing.TB) string {
	tb.Helper()
	ts := httptest.NewServer(rc)
	tb.Cleanup(ts.Close)
	return ts.URL + "/hooks/admit"
}

func answer(status int, body string) func(w http.ResponseWriter, r *http.Request, n int) int {
	return func(w http.ResponseWriter, r *http.Request, n int) int {
		w.WriteHeader(status)
		io.WriteString(w, body)
		return status
	}
}

// waitFor polls cond until it holds or within passes.
func waitFor(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func (f *fixture) deliveries(tb testing.TB, e *admit.WebhookEndpoint) []*admit.WebhookDelivery {
	tb.Helper()
	list, err := f.db.ListWebhookDeliveries(context.Background(), f.org.ID, e.ID, 0, 200)
	if err != nil {
		tb.Fatal(err)
	}
	return list
}

func (f *fixture) attempts(tb testing.TB, w *admit.WebhookDelivery) []admit.WebhookAttempt {
	tb.Helper()
	list, err := f.db.ListWebhookAttempts(context.Background(), f.org.ID, w.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return list
}

// mustVerify checks a delivery with pkg/webhook, as an integrator would, and
// returns its decoded body.
func mustVerify(tb testing.TB, secret string, r received) webhook.Event {
	tb.Helper()
	if err := verify.Verify(secret, r.header, r.body, time.Minute); err != nil {
		tb.Fatalf("delivery %s does not verify: %v", r.header.Get("webhook-id"), err)
	}
	var ev webhook.Event
	if err := json.Unmarshal(r.body, &ev); err != nil {
		tb.Fatal(err)
	}
	if ev.ID != r.header.Get("webhook-id") {
		tb.Errorf("payload id %s, webhook-id header %s", ev.ID, r.header.Get("webhook-id"))
	}
	return ev
}

type sentEmail struct {
	Subject     string `json:"subject"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Body struct {
		Text string `json:"text"`
	} `json:"body"`
}

// waitForEmail waits for an email to an address containing tag whose
// subject is about webhooks. It asks only for the last minutes' emails:
// the emulator keeps every email it was sent, and serializing them all
// for each look is slow.
func waitForEmail(tb testing.TB, tag string, within time.Duration) sentEmail {
	tb.Helper()
	var found sentEmail
	since := strconv.FormatInt(time.Now().Add(-5*time.Minute).Unix(), 10)
	waitFor(tb, within, "the organizer's email arrived", func() bool {
		resp, err := http.Get(sesURL() + "/store?since=" + since)
		if err != nil {
			tb.Fatalf("SES emulator: %v", err)
		}
		defer resp.Body.Close()
		var store struct {
			Emails []sentEmail `json:"emails"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
			tb.Fatal(err)
		}
		for _, e := range store.Emails {
			if len(e.Destination.To) > 0 && strings.Contains(e.Destination.To[0], tag) && strings.Contains(e.Subject, "Webhook") {
				found = e
				return true
			}
		}
		return false
	})
	return found
}
