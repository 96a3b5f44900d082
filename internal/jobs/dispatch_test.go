package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
)

// startDispatcher makes f's app server hand its orders' side effects to
// the queue (Redis at addr) itself, until the test ends.
func (f *fixture) startDispatcher(tb testing.TB, addr string) {
	tb.Helper()
	queue := asynq.NewClient(asynq.RedisClientOpt{Addr: addr, DB: redisDB, DialTimeout: time.Second})
	d := &jobs.Dispatcher{Queue: queue, Store: f.db, Logger: f.logger}
	f.db.DispatchOutbox(d.Dispatch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done; queue.Close() })
}

// mustOrdersAtOnce places n free orders concurrently, each from its own
// buyer address, so that they share batches.
func (f *fixture) mustOrdersAtOnce(tb testing.TB, n int) {
	tb.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: f.free.ID, Quantity: 1}}, checkout.Client{})
			if err != nil {
				tb.Error(err)
				return
			}
			if _, err := f.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: fmt.Sprintf("b%d-%s@example.com", i, f.tag)}); err != nil {
				tb.Error(err)
			}
		}()
	}
	wg.Wait()
}

// waitAllDone waits until every side effect is recorded done.
func (f *fixture) waitAllDone(tb testing.TB, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for f.undone(tb) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := f.undone(tb); n != 0 {
		tb.Errorf("%d side effects not done", n)
	}
}

// TestDispatchedOrdersNeedNoRelay: an app server hands the side effects of
// the orders it places to the queue as they commit; with no relay running,
// every buyer gets one confirmation, and every row is recorded done.
func TestDispatchedOrdersNeedNoRelay(t *testing.T) {
	f := mustFixture(t)
	f.startDispatcher(t, "127.0.0.1:16379")
	renderer, err := email.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB}
	w := jobs.NewWorker(jobs.WorkerOptions{Redis: opt, Logger: f.logger, ShutdownTimeout: 5 * time.Second, RetryBase: 200 * time.Millisecond})
	w.Handle(jobs.TypeOutbox, f.outbox(renderer))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-stopped })

	f.mustOrdersAtOnce(t, 30)
	got := f.waitForEmails(t, 30, 30*time.Second)
	if len(got) != 30 {
		t.Fatalf("%d confirmations sent, want 30", len(got))
	}
	to := map[string]int{}
	for _, e := range got {
		to[e.Destination.To[0]]++
	}
	for addr, n := range to {
		if n != 1 {
			t.Errorf("%s got %d confirmations", addr, n)
		}
	}
	f.waitAllDone(t, 10*time.Second)
}

// TestUndispatchableOrdersGoToTheRelay: when the app server cannot reach
// Redis to hand its side effects over, it gives them back to the relay,
// which hands them over at its next round: the buyers get their
// confirmations without waiting for the redelivery delay.
func TestUndispatchableOrdersGoToTheRelay(t *testing.T) {
	f := mustFixture(t)
	f.startDispatcher(t, "127.0.0.1:1") // nothing listens there
	f.mustOrdersAtOnce(t, 5)
	// The relay's redelivery delay is far longer than the wait below.
	f.startWorker(t, time.Hour)
	if got := f.waitForEmails(t, 5, 30*time.Second); len(got) != 5 {
		t.Fatalf("%d confirmations sent, want 5", len(got))
	}
	f.waitAllDone(t, 10*time.Second)
}
