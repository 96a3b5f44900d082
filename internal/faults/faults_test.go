package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api/checkoutapi"
	v1 "github.com/admithq/admit/internal/api/v1"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/webhook"
)

// redisDB is this package's Redis database: the worker's queue lives there.
const redisDB = 15

const stripeSecret = "whsec_faults_test"

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// stack is two app servers and a worker, in this process, on the local
// stack's MySQL (a fresh database), Redis, SES emulator and stripe-mock.
// Its Kill and Restore stop and start them by name (app1, app2, worker1),
// so the run's own failover and retries are exercised without scripts/ha.
type stack struct {
	tb       testing.TB
	dsn      string
	db       *mysql.DB
	redisOpt redis.Options
	prefix   string
	sesURL   string
	stripe   *stripeRecorder
	logger   *slog.Logger

	mu    sync.Mutex
	addrs map[string]string
	stops map[string]func()
}

// stripeRecorder notes the checkout sessions admit asks stripe-mock for.
type stripeRecorder struct {
	url string
	mu  sync.Mutex
	// sessions counts session creations per idempotency key.
	sessions map[string]int
}

func mustStripe(tb testing.TB) *stripeRecorder {
	tb.Helper()
	target, _ := url.Parse(envOr("ADMIT_TEST_STRIPE_MOCK_URL", "http://127.0.0.1:12111"))
	if resp, err := http.Get(target.String() + "/v1/charges"); err != nil {
		tb.Fatalf("stripe-mock at %s: %v (start the stack: scripts/stack up)", target, err)
	} else {
		resp.Body.Close()
	}
	r := &stripeRecorder{sessions: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == "POST" && req.URL.Path == "/v1/checkout/sessions" {
			r.mu.Lock()
			r.sessions[req.Header.Get("Idempotency-Key")]++
			r.mu.Unlock()
		}
		proxy.ServeHTTP(w, req)
	}))
	tb.Cleanup(ts.Close)
	r.url = ts.URL
	return r
}

func mustStack(tb testing.TB) *stack {
	tb.Helper()
	ctx := context.Background()
	s := &stack{tb: tb, dsn: mysqltest.MustDSN(tb), prefix: "faults:" + admit.NewToken(4) + ":",
		sesURL: envOr("ADMIT_TEST_SES_ENDPOINT", "http://127.0.0.1:18005"), stripe: mustStripe(tb),
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)), addrs: map[string]string{}, stops: map[string]func(){}}
	s.redisOpt = redis.Options{Addr: envOr("ADMIT_TEST_REDIS_ADDR", "127.0.0.1:16379"), DB: redisDB}
	rdb := redis.NewClient(s.redisOpt)
	// The queue is shared by name within the database: start empty.
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		tb.Fatalf("redis: %v (start the stack: scripts/stack up)", err)
	}
	rdb.Close()
	db, err := mysql.Open(s.dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s.db = db
	for _, name := range []string{"app1", "app2", "worker1"} {
		if err := s.Restore(ctx, name); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, stop := range s.stops {
			stop()
		}
	})
	return s
}

func (s *stack) URLs() []string {
	return []string{"http://" + s.addrs["app1"], "http://" + s.addrs["app2"]}
}

// Kill stops a component at once.
func (s *stack) Kill(_ context.Context, name string) error {
	s.mu.Lock()
	stop := s.stops[name]
	delete(s.stops, name)
	s.mu.Unlock()
	if stop == nil {
		return fmt.Errorf("%s is not running", name)
	}
	stop()
	return nil
}

// Restore starts a component (again, on the same address for an app).
func (s *stack) Restore(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stops[name] != nil {
		return nil
	}
	var stop func()
	var err error
	if strings.HasPrefix(name, "app") {
		stop, err = s.startApp(name)
	} else {
		stop, err = s.startWorker()
	}
	if err != nil {
		return err
	}
	s.stops[name] = stop
	return nil
}

func (s *stack) startApp(name string) (func(), error) {
	addr := s.addrs[name]
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.addrs[name] = ln.Addr().String()
	rdb := redis.NewClient(s.redisOpt)
	stripe := payment.NewStripe(payment.StripeOptions{SecretKey: "sk_test_123", WebhookSecret: stripeSecret, APIBase: s.stripe.url})
	co := checkout.New(checkout.Options{Ledger: s.db, Gate: redis.NewInventory(rdb, s.prefix),
		Providers: []payment.Provider{&payment.Offline{Instructions: "Pay by bank transfer."}, stripe},
		BaseURL:   "http://" + ln.Addr().String(), Logger: s.logger, Secret: []byte("faults-test-secret-faults-test-secret")})
	srv := server.New(server.Options{Logger: s.logger, Registry: prometheus.NewRegistry()})
	policy := webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}
	checkoutapi.New(checkoutapi.Options{Store: s.db, Checkout: co, Stripe: stripe, Logger: s.logger}).Register(srv.Echo())
	v1.New(v1.Options{Store: s.db, Checkout: co, Logger: s.logger, Limiter: redis.NewLimiter(rdb, s.prefix), WebhookURLs: policy}).Register(srv.Echo())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { srv.Serve(ctx, ln, 200*time.Millisecond); done <- struct{}{} }()
	go func() { co.RunMaintenance(ctx, time.Second, 5*time.Second); done <- struct{}{} }()
	return func() { cancel(); <-done; <-done; rdb.Close() }, nil
}

func (s *stack) startWorker() (func(), error) {
	emails, err := email.NewRenderer()
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(s.redisOpt)
	co := checkout.New(checkout.Options{Ledger: s.db, Gate: redis.NewInventory(rdb, s.prefix), BaseURL: "http://admit.test", Logger: s.logger})
	redisOpt := s.redisOpt.AsynqOpt()
	queue := asynq.NewClient(redisOpt)
	w := jobs.NewWorker(jobs.WorkerOptions{Redis: redisOpt, Logger: s.logger, ShutdownTimeout: 500 * time.Millisecond,
		RetryBase: 200 * time.Millisecond, Concurrency: 20})
	hooks := webhook.New(webhook.Options{Store: s.db, Queue: queue, Logger: s.logger, Timeout: 5 * time.Second,
		URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, RedeliverAfter: 5 * time.Second, BaseURL: "http://admit.test",
		Schedule: []time.Duration{200 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second}})
	w.Handle(webhook.TypeDeliver, hooks)
	w.Handle(jobs.TypeOutbox, &jobs.Outbox{Store: s.db,
		Mailer: email.NewSES(email.SESOptions{Region: "us-east-1", Endpoint: s.sesURL, AccessKey: "local", SecretKey: "local"}),
		Emails: emails, Refunds: co, BaseURL: "http://admit.test", MailFrom: "Admit <tickets@admit.localhost>", Logger: s.logger, Webhooks: hooks})
	relay := &jobs.Relay{Store: s.db, Queue: queue, Logger: s.logger, RedeliverAfter: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); relay.Run(ctx, 100*time.Millisecond) }()
	go func() { defer wg.Done(); hooks.RunDispatcher(ctx, 500*time.Millisecond) }()
	go func() { defer wg.Done(); w.Run(ctx) }()
	return func() { cancel(); wg.Wait(); queue.Close(); rdb.Close() }, nil
}

// TestRunHoldsUnderKills plays a short load through two app servers while
// app1 and then the worker are killed and restored, and expects every
// invariant to hold; then an extra ticket beyond a type's quantity, slipped
// into the ledger, must be reported as oversold.
func TestRunHoldsUnderKills(t *testing.T) {
	s := mustStack(t)
	phases, err := Phases([]string{"app1", "worker1"})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{URLs: s.URLs(), MySQLDSN: s.dsn, SESURL: s.sesURL, StripeWebhookSecret: stripeSecret,
		Phases: phases, Killer: s, Baseline: 2 * time.Second, Fault: 2 * time.Second, Settle: 2 * time.Second,
		Rate: 8, Concurrency: 50, PayWithin: 15 * time.Second, Drain: 40 * time.Second, LimitedQuantity: 3, Log: &log})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	t.Logf("\n%s", table.String())
	if broken := rep.Broken(); len(broken) > 0 {
		t.Fatalf("invariants broken: %v\n%s", broken, log.String())
	}
	if !rep.Drained {
		t.Errorf("side effects did not drain\n%s", log.String())
	}
	b := rep.Buyers
	if b.ToldPaid == 0 || b.SoldOut == 0 {
		t.Errorf("buyers: %+v; want paid orders and the limited type sold out", b)
	}
	var names []string
	for _, p := range rep.Phases {
		names = append(names, p.Phase)
		if p.Phase != "after" && p.Requests == 0 {
			t.Errorf("phase %s saw no request", p.Phase)
		}
	}
	if got := strings.Join(names, ","); got != "baseline,app1,worker1,after" {
		t.Errorf("phases %s", got)
	}
	// One Stripe checkout session per card order, under its order id.
	s.stripe.mu.Lock()
	for key, n := range s.stripe.sessions {
		if n != 1 || !strings.HasPrefix(key, "admit-order-") {
			t.Errorf("Stripe checkout session key %q created %d times", key, n)
		}
	}
	cards := len(s.stripe.sessions)
	s.stripe.mu.Unlock()
	if cards == 0 {
		t.Error("no card order was placed")
	}

	// A ticket slipped in beyond the limited type's quantity is oversold.
	lim := rep.fx.kind(kindLimited).Type
	var orderID int64
	if err := s.db.SQL().QueryRow(`SELECT order_id FROM tickets WHERE ticket_type_id = ? LIMIT 1`, lim.ID).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.SQL().Exec(`INSERT INTO tickets (organization_id, order_id, ticket_type_id, code, status) VALUES (?, ?, ?, ?, 'valid')`,
		rep.fx.OrgID, orderID, lim.ID, admit.NewToken(12)); err != nil {
		t.Fatal(err)
	}
	checks := Check(context.Background(), s.db.SQL(), rep.fx, rep.told, nil, nil)
	byName := map[string]CheckResult{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	over := byName["no oversell (tickets issued + held <= quantity)"]
	if over.Held || len(over.Problems) != 1 || !strings.Contains(over.Problems[0], "oversold: 4 issued + 0 held > quantity 3") {
		t.Errorf("oversell check after an extra ticket: %+v", over)
	}
	if byName["ledger counters agree with tickets and holds"].Held {
		t.Error("the counters check missed a ticket the counters do not count")
	}
}
