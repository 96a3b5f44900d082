package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
)

// redisDB is this package's own Redis database: a test flushes it.
const redisDB = 9

func sesURL() string {
	if v := os.Getenv("ADMIT_TEST_SES_ENDPOINT"); v != "" {
		return v
	}
	return "http://127.0.0.1:18005"
}

// sentEmail is one email as the SES emulator stored it.
type sentEmail struct {
	From        string `json:"from"`
	Subject     string `json:"subject"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Body struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
	Attachments []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"contentType"`
	} `json:"attachments"`
}

// mustSent returns the emails the SES emulator holds for recipients whose
// address contains tag, sent since the given time: the emulator keeps
// every email it was sent, and serializing them all for each look is slow.
func mustSent(tb testing.TB, tag string, since time.Time) []sentEmail {
	tb.Helper()
	resp, err := http.Get(sesURL() + "/store?since=" + strconv.FormatInt(since.Unix()-1, 10))
	if err != nil {
		tb.Fatalf("SES emulator: %v (start the stack: scripts/stack up)", err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []sentEmail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		tb.Fatal(err)
	}
	var out []sentEmail
	for _, e := range store.Emails {
		if len(e.Destination.To) > 0 && strings.Contains(e.Destination.To[0], tag) {
			out = append(out, e)
		}
	}
	return out
}

type fixture struct {
	db     *mysql.DB
	rdb    goredis.UniversalClient
	co     *checkout.Checkout
	event  *admit.Event
	free   *admit.TicketType
	tag    string // in every buyer's address, to find this test's emails
	start  time.Time
	ses    string // SES endpoint the worker uses
	logger *slog.Logger
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{db: mysqltest.MustOpen(tb), tag: "t" + admit.NewToken(5), ses: sesURL(), start: time.Now(),
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f.rdb = redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: redisDB})
	tb.Cleanup(func() { f.rdb.Close() })
	seed := mysqltest.MustSeed(tb, f.db, mysqltest.SeedSpec{
		Org: admit.Organization{Slug: "org", Name: "Org & Co"},
		Event: admit.Event{Slug: "conf", Name: "Conf <2027>", TimeZone: "Europe/Berlin", Venue: "Hall",
			StartsAt: time.Date(2030, 5, 4, 9, 0, 0, 0, time.UTC)},
		Types: []admit.TicketType{{Name: "Free", Quantity: 1000, MaxPerOrder: 5}},
	})
	f.event, f.free = seed.Event, seed.Types[0]
	f.co = checkout.New(checkout.Options{Ledger: f.db, Providers: []payment.Provider{&payment.Offline{}}, BaseURL: "http://admit.test", Logger: f.logger})
	return f
}

// mustOrders places n free orders, each from its own buyer address.
func (f *fixture) mustOrders(tb testing.TB, n int) []*admit.Order {
	tb.Helper()
	ctx := context.Background()
	var orders []*admit.Order
	for i := range n {
		h, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: f.free.ID, Quantity: 1}}, checkout.Client{})
		if err != nil {
			tb.Fatal(err)
		}
		placed, err := f.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: fmt.Sprintf("b%d-%s@example.com", i, f.tag)})
		if err != nil {
			tb.Fatal(err)
		}
		orders = append(orders, placed.Order)
	}
	return orders
}

// startWorker runs a worker and a relay until the test ends.
func (f *fixture) startWorker(tb testing.TB, redeliverAfter time.Duration) {
	tb.Helper()
	renderer, err := email.NewRenderer()
	if err != nil {
		tb.Fatal(err)
	}
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB}
	queue := asynq.NewClient(opt)
	w := jobs.NewWorker(jobs.WorkerOptions{Redis: opt, Logger: f.logger, ShutdownTimeout: 5 * time.Second, RetryBase: 200 * time.Millisecond})
	w.Handle(jobs.TypeOutbox, f.outbox(renderer))
	relay := &jobs.Relay{Store: f.db, Queue: queue, Logger: f.logger, RedeliverAfter: redeliverAfter, RetryBase: 200 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.Run(ctx) }()
	go func() { defer wg.Done(); relay.Run(ctx, 100*time.Millisecond) }()
	tb.Cleanup(func() { cancel(); wg.Wait(); queue.Close() })
}

// outbox returns the outbox handler as admit worker sets it up, with claims
// in this test's Redis database.
func (f *fixture) outbox(renderer *email.Renderer) *jobs.Outbox {
	return &jobs.Outbox{Store: f.db, Emails: renderer, Refunds: f.co, BaseURL: "http://admit.test",
		MailFrom: "Admit <tickets@admit.test>", Instructions: "Pay at the door.", Logger: f.logger,
		Claims: redis.NewOutboxClaims(f.rdb, "test:"+f.tag+":"),
		Mailer: email.NewSES(email.SESOptions{Region: "us-east-1", Endpoint: f.ses, AccessKey: "local", SecretKey: "local"})}
}

// waitForEmails waits until the SES store holds want emails for this test.
func (f *fixture) waitForEmails(tb testing.TB, want int, within time.Duration) []sentEmail {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		got := mustSent(tb, f.tag, f.start)
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *fixture) undone(tb testing.TB) int {
	tb.Helper()
	var n int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE done_at IS NULL`).Scan(&n)
	return n
}

// TestRelayReplacesAGivenUpTask: a side effect whose task asynq archived
// (gave up on, as after a worker read its row from a database node that
// did not have it yet) while the row is not done is handed over again and
// happens, once.
func TestRelayReplacesAGivenUpTask(t *testing.T) {
	f := mustFixture(t)
	f.mustOrders(t, 1)
	var id int64
	f.db.SQL().QueryRow(`SELECT id FROM outbox WHERE kind = 'email.order_confirmation'`).Scan(&id)
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB}
	client, inspector := asynq.NewClient(opt), asynq.NewInspector(opt)
	defer client.Close()
	defer inspector.Close()
	queue, taskID := jobs.QueueFor("email.order_confirmation"), jobs.TaskID(id)
	inspector.DeleteTask(queue, taskID) // from an earlier test's database
	if _, err := client.Enqueue(asynq.NewTask(jobs.TypeOutbox, []byte(fmt.Sprintf(`{"outbox_id":%d}`, id))),
		asynq.TaskID(taskID), asynq.Queue(queue)); err != nil {
		t.Fatal(err)
	}
	if err := inspector.ArchiveTask(queue, taskID); err != nil {
		t.Fatal(err)
	}
	f.startWorker(t, time.Second)
	if got := f.waitForEmails(t, 1, 30*time.Second); len(got) != 1 {
		t.Fatalf("%d confirmations sent, want 1", len(got))
	}
	f.waitAllDone(t, 10*time.Second)
}

// TestConfirmationEmail: a paid order's confirmation reaches SES once, with
// its tickets as a PDF and a calendar entry, and every side effect of the
// order is recorded done.
func TestConfirmationEmail(t *testing.T) {
	f := mustFixture(t)
	orders := f.mustOrders(t, 1)
	f.startWorker(t, time.Minute)
	got := f.waitForEmails(t, 1, 20*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d emails sent, want 1", len(got))
	}
	e := got[0]
	if !strings.Contains(e.Subject, orders[0].Reference) || !strings.Contains(e.Body.Text, orders[0].Tickets[0].Code) ||
		!strings.Contains(e.Body.HTML, "Conf &lt;2027&gt;") {
		t.Errorf("confirmation: subject %q, text %q", e.Subject, e.Body.Text)
	}
	kinds := map[string]bool{}
	for _, a := range e.Attachments {
		kinds[a.ContentType] = true
	}
	if !kinds["application/pdf"] || !strings.Contains(fmt.Sprint(kinds), "text/calendar") {
		t.Errorf("attachments: %v, want a PDF and a calendar entry", e.Attachments)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.undone(t) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := f.undone(t); n != 0 {
		t.Errorf("%d side effects not done", n)
	}
	var result string
	f.db.SQL().QueryRow(`SELECT result FROM outbox WHERE kind = 'email.order_confirmation'`).Scan(&result)
	if !strings.HasPrefix(result, "ses:") {
		t.Errorf("the SES message id was not recorded: %q", result)
	}
}

// TestOutboxHandlerIsIdempotent runs the same side effect three times: one
// email.
func TestOutboxHandlerIsIdempotent(t *testing.T) {
	f := mustFixture(t)
	f.mustOrders(t, 1)
	renderer, _ := email.NewRenderer()
	h := &jobs.Outbox{Store: f.db, Emails: renderer, Refunds: f.co, BaseURL: "http://admit.test", MailFrom: "tickets@admit.test", Logger: f.logger,
		Mailer: email.NewSES(email.SESOptions{Region: "us-east-1", Endpoint: f.ses, AccessKey: "local", SecretKey: "local"})}
	var id int64
	f.db.SQL().QueryRow(`SELECT id FROM outbox WHERE kind = 'email.order_confirmation'`).Scan(&id)
	for range 3 {
		if err := h.Perform(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustSent(t, f.tag, f.start); len(got) != 1 {
		t.Errorf("%d emails after performing the side effect 3 times, want 1", len(got))
	}
}

// TestRedisFlushLosesNoEmail: Redis (the queue) is flushed right after 100
// orders are placed; the relay hands the undone rows over again and every
// confirmation is still sent.
func TestRedisFlushLosesNoEmail(t *testing.T) {
	f := mustFixture(t)
	if err := f.rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	f.mustOrders(t, 100)
	// A relay hands everything to the queue, and then the queue is lost.
	queue := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB})
	relay := &jobs.Relay{Store: f.db, Queue: queue, Logger: f.logger, RedeliverAfter: time.Hour}
	if n, err := relay.RelayOnce(context.Background()); err != nil || n < 100 {
		t.Fatalf("relay handed over %d rows: %v", n, err)
	}
	queue.Close()
	if err := f.rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	f.startWorker(t, time.Second)
	got := f.waitForEmails(t, 100, 60*time.Second)
	recipients := map[string]int{}
	for _, e := range got {
		recipients[e.Destination.To[0]]++
	}
	if len(recipients) != 100 {
		t.Fatalf("%d of 100 buyers got their confirmation after the flush", len(recipients))
	}
	for to, n := range recipients {
		if n != 1 {
			t.Errorf("%s got %d confirmations", to, n)
		}
	}
}

// TestSESOutageDelaysEmail: SES is unreachable while orders are placed;
// checkout does not notice, and every confirmation arrives once it is back.
func TestSESOutageDelaysEmail(t *testing.T) {
	f := mustFixture(t)
	// The worker talks to SES through a door we can close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // SES "down": nothing listens here
	f.ses = "http://" + addr
	f.startWorker(t, time.Minute)
	start := time.Now()
	f.mustOrders(t, 20)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("20 orders took %v with SES down: checkout must not wait for email", took)
	}
	// The worker tries and fails meanwhile.
	failing := 0
	for deadline := time.Now().Add(20 * time.Second); failing == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND last_error <> ''`).Scan(&failing)
	}
	if failing == 0 {
		t.Error("no failed attempt was recorded while SES was down")
	}
	if got := mustSent(t, f.tag, f.start); len(got) != 0 {
		t.Fatalf("%d emails sent while SES was down", len(got))
	}
	// SES comes back on the same address.
	target := strings.TrimPrefix(sesURL(), "http://")
	back, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	go func() {
		for {
			c, err := back.Accept()
			if err != nil {
				return
			}
			go func() {
				u, err := net.Dial("tcp", target)
				if err != nil {
					c.Close()
					return
				}
				go func() { io.Copy(u, c); u.Close() }()
				io.Copy(c, u)
				c.Close()
			}()
		}
	}()
	got := f.waitForEmails(t, 20, 60*time.Second)
	if len(got) != 20 {
		t.Fatalf("%d of 20 confirmations arrived after SES came back", len(got))
	}
}
