package main

import (
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
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/redis"
)

// TestMain lets a test start this very binary as `admit` in a child
// process (to kill it with SIGKILL): with ADMIT_TEST_RUN_MAIN=1 it is main.
func TestMain(m *testing.M) {
	if os.Getenv("ADMIT_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// workerRedisDB is the queue of this test alone.
const workerRedisDB = 10

// sesGate stands between the worker and the SES emulator: while closed it
// holds every request (the worker is then in the middle of sending), and it
// counts what it forwarded per recipient.
type sesGate struct {
	mu      sync.Mutex
	open    bool
	waiting int
	opened  chan struct{}
	sent    map[string]int
}

func mustSESGate(tb testing.TB) (*sesGate, string) {
	g := &sesGate{opened: make(chan struct{}), sent: map[string]int{}}
	target, _ := url.Parse("http://127.0.0.1:18005")
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		open := g.open
		if !open {
			g.waiting++
		}
		g.mu.Unlock()
		if !open {
			select {
			case <-g.opened:
			case <-r.Context().Done():
				return // the worker died waiting: SES never saw this
			}
		}
		var req struct {
			Destination struct{ ToAddresses []string }
		}
		json.Unmarshal(body, &req)
		rec := httptest.NewRecorder()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		proxy.ServeHTTP(rec, r)
		if rec.Code == 200 && len(req.Destination.ToAddresses) > 0 {
			g.mu.Lock()
			g.sent[req.Destination.ToAddresses[0]]++
			g.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	tb.Cleanup(ts.Close)
	return g, ts.URL
}

func (g *sesGate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		g.open = true
		close(g.opened)
	}
}

func (g *sesGate) counts() (waiting int, sent map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]int{}
	for k, v := range g.sent {
		out[k] = v
	}
	return g.waiting, out
}

// startWorkerProcess runs `admit worker` as a child process.
func startWorkerProcess(tb testing.TB, env []string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "worker")
	cmd.Env = append(os.Environ(), append(env, "ADMIT_TEST_RUN_MAIN=1")...)
	cmd.Stdout = io.Discard
	if path := os.Getenv("ADMIT_TEST_WORKER_LOG"); path != "" {
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			cmd.Stderr = f
		}
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	return cmd
}

// TestWorkerKilledMidSend kills the worker with SIGKILL while it is sending
// three confirmations. After a restart each confirmation is sent exactly
// once, and a side effect recorded as done is never performed again, even
// when its task is delivered once more.
func TestWorkerKilledMidSend(t *testing.T) {
	ctx := context.Background()
	dsn := mysqltest.MustDSN(t)
	db, err := mysql.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: workerRedisDB})
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	getenv := testEnv(t, dsn, nil)
	mustRun(t, getenv, "demo")
	org, _ := db.FindOrganizationBySlug(ctx, "demo")
	ev, _ := db.FindEventBySlug(ctx, org.ID, "gophersummit")
	types, _ := db.ListTicketTypes(ctx, org.ID, ev.ID, false)
	co := checkout.New(checkout.Options{Ledger: db, BaseURL: "http://admit.test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	tag := admit.NewToken(5)
	var buyers []string
	for i := range 3 {
		h, err := co.Hold(ctx, ev, []admit.HoldItem{{TicketTypeID: types[0].ID, Quantity: 1}}, checkout.Client{})
		if err != nil {
			t.Fatal(err)
		}
		buyer := fmt.Sprintf("k%d-%s@example.com", i, tag)
		if _, err := co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "B", BuyerEmail: buyer}); err != nil {
			t.Fatal(err)
		}
		buyers = append(buyers, buyer)
	}

	gate, sesURL := mustSESGate(t)
	env := []string{"ADMIT_MYSQL_DSN=" + dsn, fmt.Sprintf("ADMIT_REDIS_DB=%d", workerRedisDB), "ADMIT_SES_ENDPOINT=" + sesURL,
		"ADMIT_OUTBOX_REDELIVER_AFTER=1s", "ADMIT_RETRY_BASE=200ms", "ADMIT_SHUTDOWN_TIMEOUT=2s", "ADMIT_REDIS_PREFIX=test:" + tag + ":"}
	worker := startWorkerProcess(t, env)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if waiting, _ := gate.counts(); waiting >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never started sending")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Mid-send: SES has not received anything yet.
	worker.Process.Kill()
	worker.Wait()
	gate.Open()

	// asynq gives a dead worker's tasks back once their lease has expired
	// (30 s) and its recoverer next looks (every minute): the restarted
	// worker finishes them about a minute after the crash.
	startWorkerProcess(t, env)
	deadline = time.Now().Add(150 * time.Second)
	for {
		_, sent := gate.counts()
		if len(sent) == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Deliver every done side effect's task once more: nothing is sent again.
	queue := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: workerRedisDB})
	defer queue.Close()
	rows, err := db.SQL().Query(`SELECT id FROM outbox WHERE kind = 'email.order_confirmation' AND done_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	done := 0
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		done++
		payload, _ := json.Marshal(map[string]int64{"outbox_id": id})
		if _, err := queue.Enqueue(asynq.NewTask(jobs.TypeOutbox, payload), asynq.Queue(jobs.QueueCritical)); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	time.Sleep(2 * time.Second)
	_, sent := gate.counts()
	if done != 3 {
		t.Errorf("%d of 3 confirmations recorded as sent", done)
	}
	for _, b := range buyers {
		if sent[b] != 1 {
			t.Errorf("%s got %d confirmations, want exactly 1", b, sent[b])
		}
	}
}
