package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/webhook"
	"github.com/admithq/admit/internal/wire"
	verify "github.com/admithq/admit/pkg/webhook"
)

// TestWebhookDeliveryRetries: a receiver that is down for a while, then too
// slow, then answers 500 twice, then 200, gets every event, signed; a
// repeat carries the same webhook-id and body; the log shows every attempt.
func TestWebhookDeliveryRetries(t *testing.T) {
	f := mustFixture(t)
	// The receiver's address, with nothing listening there yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ep := f.mustEndpoint(t, "http://"+addr+"/hooks/admit", "order.paid", "order.cancelled")
	schedule := make([]time.Duration, 12)
	for i := range schedule {
		schedule[i] = 100 * time.Millisecond
	}
	const timeout = 300 * time.Millisecond
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, Timeout: timeout, Schedule: schedule})
	orders := f.mustPaidOrders(t, 3)

	waitFor(t, 20*time.Second, "every delivery failed twice while the receiver is down", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND attempts >= 2`, ep.ID) == 3
	})
	rc := newReceiver(func(w http.ResponseWriter, r *http.Request, n int) int {
		switch n {
		case 1:
			time.Sleep(2 * timeout) // admit gives up first
			w.WriteHeader(http.StatusOK)
			return http.StatusOK
		case 2, 3:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "database unavailable")
			return http.StatusInternalServerError
		}
		io.WriteString(w, "thanks")
		return http.StatusOK
	})
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the receiver cannot come back on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: rc}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	waitFor(t, 60*time.Second, "every delivery succeeded", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'succeeded'`, ep.ID) == 3
	})

	// What the receiver saw: four requests per event, each verified.
	byID := map[string][]received{}
	for _, r := range rc.all() {
		byID[r.header.Get("webhook-id")] = append(byID[r.header.Get("webhook-id")], r)
	}
	if len(byID) != 3 {
		t.Fatalf("%d distinct webhook-ids, want 3 (one per event)", len(byID))
	}
	paid := map[int64]bool{}
	for id, reqs := range byID {
		if len(reqs) != 4 {
			t.Errorf("%s: %d requests, want 4 (slow, 500, 500, 200)", id, len(reqs))
		}
		for _, r := range reqs {
			ev := mustVerify(t, ep.Secret, r)
			if string(r.body) != string(reqs[0].body) {
				t.Errorf("%s: a repeat carries another body", id)
			}
			if ev.Type != "order.paid" {
				t.Errorf("%s: type %s", id, ev.Type)
			}
		}
		var body struct {
			Data wire.Order `json:"data"`
		}
		json.Unmarshal(reqs[0].body, &body)
		paid[body.Data.ID] = body.Data.Status == "paid" && len(body.Data.Tickets) == 1 && body.Data.Tickets[0].Code != ""
	}
	for _, o := range orders {
		if !paid[o.ID] {
			t.Errorf("order %d: no paid order with its ticket arrived", o.ID)
		}
	}

	// The log: refused connections, a timeout, two 500s, then the 200.
	for _, w := range f.deliveries(t, ep) {
		log := f.attempts(t, w)
		if len(log) != w.Attempts || len(log) < 6 {
			t.Fatalf("delivery %d: %d attempts logged, %d counted", w.ID, len(log), w.Attempts)
		}
		down := len(log) - 4
		for _, a := range log[:down] {
			if a.ResponseStatus != 0 || !strings.Contains(a.Error, "connect") {
				t.Errorf("delivery %d while down: %d %q", w.ID, a.ResponseStatus, a.Error)
			}
		}
		slow, e1, e2, ok := log[down], log[down+1], log[down+2], log[down+3]
		if slow.ResponseStatus != 0 || !strings.Contains(slow.Error, "No answer within") || slow.Duration < timeout {
			t.Errorf("delivery %d, slow answer: %d %q after %v", w.ID, slow.ResponseStatus, slow.Error, slow.Duration)
		}
		for _, a := range []admit.WebhookAttempt{e1, e2} {
			if a.ResponseStatus != 500 || string(a.ResponseBody) != "database unavailable" {
				t.Errorf("delivery %d: %d %q, want the 500 and its body", w.ID, a.ResponseStatus, a.ResponseBody)
			}
		}
		if ok.ResponseStatus != 200 || string(ok.ResponseBody) != "thanks" || w.LastStatus != 200 {
			t.Errorf("delivery %d last attempt: %d %q", w.ID, ok.ResponseStatus, ok.ResponseBody)
		}
		for i := 1; i < len(log); i++ {
			if gap := log[i].StartedAt.Sub(log[i-1].StartedAt); gap < 90*time.Millisecond {
				t.Errorf("delivery %d: attempt %d only %v after the previous one (schedule 100ms)", w.ID, i+1, gap)
			}
		}
	}
}

// TestWebhookSlowReceiverDoesNotDelayOthers: an endpoint that hangs holds
// its own deliveries only; another endpoint gets every event meanwhile.
func TestWebhookSlowReceiverDoesNotDelayOthers(t *testing.T) {
	f := mustFixture(t)
	release := make(chan struct{})
	var once sync.Once
	let := func() { once.Do(func() { close(release) }) }
	t.Cleanup(let)
	slow := newReceiver(func(w http.ResponseWriter, r *http.Request, n int) int {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return http.StatusOK
	})
	fast := newReceiver(answer(http.StatusNoContent, ""))
	slowEP := f.mustEndpoint(t, slow.start(t), "order.paid")
	fastEP := f.mustEndpoint(t, fast.start(t), "order.paid")
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, Timeout: 20 * time.Second,
		Schedule: []time.Duration{50 * time.Millisecond}})
	start := time.Now()
	f.mustPaidOrders(t, 5)
	waitFor(t, 10*time.Second, "the fast endpoint got all 5 events", func() bool { return len(fast.all()) == 5 })
	took := time.Since(start)
	t.Logf("fast endpoint: 5 events in %v while the slow one holds %d requests open", took, slow.arrived())
	if took > 5*time.Second {
		t.Errorf("the fast endpoint needed %v", took)
	}
	waitFor(t, 5*time.Second, "the slow endpoint holds all 5 requests open at once", func() bool { return slow.arrived() == 5 })
	if n := len(slow.all()); n != 0 {
		t.Fatalf("the slow endpoint answered %d requests before being released", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'pending'`, slowEP.ID); n != 5 {
		t.Errorf("%d of the slow endpoint's deliveries pending, want all 5 (it has not answered)", n)
	}
	let()
	waitFor(t, 10*time.Second, "the slow endpoint's deliveries succeeded once it answered", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id IN (?, ?) AND status = 'succeeded'`, slowEP.ID, fastEP.ID) == 10
	})
}

// TestWebhookGoneDisablesEndpoint: a 410 disables the endpoint at once: no
// retry, no further event, and the owner is told.
func TestWebhookGoneDisablesEndpoint(t *testing.T) {
	f := mustFixture(t)
	gone := newReceiver(answer(http.StatusGone, "no such hook"))
	ep := f.mustEndpoint(t, gone.start(t), "order.paid")
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, Timeout: time.Second,
		Schedule: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}})
	f.mustPaidOrders(t, 1)
	waitFor(t, 10*time.Second, "the delivery failed", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'failed'`, ep.ID) == 1
	})
	got, err := f.db.FindWebhookEndpoint(context.Background(), f.org.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || !strings.Contains(got.DisabledReason, "410") {
		t.Errorf("endpoint enabled %v, reason %q", got.Enabled, got.DisabledReason)
	}
	f.mustPaidOrders(t, 1)
	mail := waitForEmail(t, f.tag, 20*time.Second)
	if !strings.Contains(mail.Subject, "Webhook endpoint disabled") || !strings.Contains(mail.Body.Text, "410 Gone") ||
		!strings.Contains(mail.Body.Text, fmt.Sprintf("/console/hooks/webhooks/%d", ep.ID)) {
		t.Errorf("email: %q\n%s", mail.Subject, mail.Body.Text)
	}
	waitFor(t, 10*time.Second, "both events were handled", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'webhook.order.paid' AND done_at IS NOT NULL`) == 2
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(gone.all()); n != 1 {
		t.Errorf("the receiver got %d requests, want 1: no retry after 410, nothing once disabled", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`, ep.ID); n != 1 {
		t.Errorf("%d deliveries, want 1: a disabled endpoint gets no new events", n)
	}
}

// TestWebhookGivesUpAndEmails: after the last retry the delivery fails and
// the owner gets one email a day for the endpoint, however many fail.
func TestWebhookGivesUpAndEmails(t *testing.T) {
	f := mustFixture(t)
	broken := newReceiver(answer(http.StatusInternalServerError, "boom"))
	ep := f.mustEndpoint(t, broken.start(t), "order.paid")
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, Timeout: time.Second,
		Schedule: []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}})
	f.mustPaidOrders(t, 2)
	waitFor(t, 20*time.Second, "both deliveries failed", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'failed' AND attempts = 3`, ep.ID) == 2
	})
	if n := len(broken.all()); n != 6 {
		t.Errorf("%d requests, want 6 (3 attempts for each of 2 events)", n)
	}
	mail := waitForEmail(t, f.tag, 20*time.Second)
	if !strings.Contains(mail.Subject, "Webhook deliveries are failing") || !strings.Contains(mail.Body.Text, "HTTP 500") {
		t.Errorf("email: %q\n%s", mail.Subject, mail.Body.Text)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'email.webhook_failing'`); n != 1 {
		t.Errorf("%d failing-endpoint emails queued, want 1 a day", n)
	}
	if got, _ := f.db.FindWebhookEndpoint(context.Background(), f.org.ID, ep.ID); !got.Enabled {
		t.Error("failing deliveries disabled the endpoint; only a 410 does")
	}
}

// TestWebhookRetryAfter: a 503 with Retry-After postpones the retry at
// least that long, whatever the schedule says.
func TestWebhookRetryAfter(t *testing.T) {
	f := mustFixture(t)
	rc := newReceiver(func(w http.ResponseWriter, r *http.Request, n int) int {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	ep := f.mustEndpoint(t, rc.start(t), "order.paid")
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, Timeout: time.Second,
		Schedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}})
	f.mustPaidOrders(t, 1)
	waitFor(t, 10*time.Second, "the delivery succeeded", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'succeeded'`, ep.ID) == 1
	})
	reqs := rc.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second {
		t.Errorf("retried %v after Retry-After: 1", gap)
	}
}

// TestWebhookRotationAndRedelivery: during a rotation every delivery
// carries two signatures, each verifying with its secret; sending again
// from the console repeats the same webhook-id and body, logged as manual.
func TestWebhookRotationAndRedelivery(t *testing.T) {
	f := mustFixture(t)
	rc := newReceiver(answer(http.StatusOK, "ok"))
	ep := f.mustEndpoint(t, rc.start(t), "order.paid")
	ctx := context.Background()
	if err := f.db.RotateWebhookSecret(ctx, f.org.ID, ep.ID, webhook.NewSecret(), webhook.RotationOverlap); err != nil {
		t.Fatal(err)
	}
	rotated, err := f.db.FindWebhookEndpoint(ctx, f.org.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.PreviousSecret != ep.Secret || rotated.Secret == ep.Secret {
		t.Fatalf("after the rotation: secret %s, previous %s; before: %s", rotated.Secret, rotated.PreviousSecret, ep.Secret)
	}
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, Timeout: time.Second})
	f.mustPaidOrders(t, 1)
	waitFor(t, 10*time.Second, "the event arrived", func() bool { return len(rc.all()) == 1 })
	first := rc.all()[0]
	if sigs := strings.Fields(first.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("signatures during a rotation: %q", first.header.Get("webhook-signature"))
	}
	mustVerify(t, rotated.Secret, first)
	mustVerify(t, ep.Secret, first)

	w := f.deliveries(t, ep)[0]
	waitFor(t, 5*time.Second, "the delivery succeeded", func() bool {
		got, _, _ := f.db.FindWebhookDelivery(ctx, f.org.ID, ep.ID, w.ID)
		return got.Status == admit.WebhookSucceeded
	})
	if err := f.db.QueueWebhookRedelivery(ctx, f.org.ID, ep.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the delivery was sent again", func() bool { return len(rc.all()) == 2 })
	again := rc.all()[1]
	mustVerify(t, rotated.Secret, again)
	if again.header.Get("webhook-id") != first.header.Get("webhook-id") || string(again.body) != string(first.body) {
		t.Errorf("sent again as %s with another body; first %s", again.header.Get("webhook-id"), first.header.Get("webhook-id"))
	}
	waitFor(t, 5*time.Second, "the manual attempt is logged", func() bool { return len(f.attempts(t, w)) == 2 })
	if log := f.attempts(t, w); log[0].Manual || !log[1].Manual || log[1].ResponseStatus != 200 {
		t.Errorf("log: %+v", log)
	}
	// Once the overlap is over, only the new secret signs.
	if _, err := f.db.SQL().Exec(`UPDATE webhook_endpoints SET previous_secret_expires_at = NOW(6) - INTERVAL 1 SECOND WHERE id = ?`, ep.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.QueueWebhookRedelivery(ctx, f.org.ID, ep.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the delivery was sent a third time", func() bool { return len(rc.all()) == 3 })
	third := rc.all()[2]
	if sigs := strings.Fields(third.header.Get("webhook-signature")); len(sigs) != 1 {
		t.Errorf("signatures after the overlap: %q", third.header.Get("webhook-signature"))
	}
	if err := verify.Verify(ep.Secret, third.header, third.body, 0); !errors.Is(err, verify.ErrInvalidSignature) {
		t.Errorf("the retired secret still verifies: %v", err)
	}
}

// TestWebhookLostWithRedis: deliveries handed to the queue and then lost
// with Redis are still made: the dispatcher hands them over again.
func TestWebhookLostWithRedis(t *testing.T) {
	f := mustFixture(t)
	rc := newReceiver(answer(http.StatusOK, ""))
	ep := f.mustEndpoint(t, rc.start(t), "order.paid")
	orders := f.mustPaidOrders(t, 5)
	// Fan the events out (which hands the deliveries to the queue), with
	// no worker running, then lose the queue.
	mustFlushRedis(t)
	queue := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: redisDB})
	hooks := webhook.New(webhook.Options{Store: f.db, Queue: queue, Logger: f.logger})
	rows, err := f.db.SQL().Query(`SELECT id FROM outbox WHERE kind = 'webhook.order.paid'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		row, err := f.db.FindOutbox(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hooks.FanOut(context.Background(), row); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.CompleteOutbox(context.Background(), id, "fanned out"); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	queue.Close()
	if n := f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND enqueued_for IS NOT NULL`, ep.ID); n != len(orders) {
		t.Fatalf("%d deliveries handed to the queue, want %d", n, len(orders))
	}
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true, AllowPrivate: true}, Timeout: time.Second,
		RedeliverAfter: 300 * time.Millisecond}) // flushes Redis first
	waitFor(t, 20*time.Second, "every delivery arrived after the queue was lost", func() bool { return len(rc.all()) == len(orders) })
	ids := map[string]bool{}
	for _, r := range rc.all() {
		mustVerify(t, ep.Secret, r)
		ids[r.header.Get("webhook-id")] = true
	}
	if len(ids) != len(orders) {
		t.Errorf("%d distinct events arrived, want %d", len(ids), len(orders))
	}
}

// TestWebhookForbiddenAtDelivery: endpoints whose addresses are forbidden
// (stored before a policy change, or a name that resolves to loopback) are
// refused at delivery time by the dialer; the receiver on loopback is
// never reached, and the log says why.
func TestWebhookForbiddenAtDelivery(t *testing.T) {
	f := mustFixture(t)
	rc := newReceiver(answer(http.StatusOK, ""))
	target := rc.start(t) // http://127.0.0.1:PORT/hooks/admit
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimSuffix(target, "/hooks/admit"), "http://"))
	name, _ := os.Hostname()
	urls := []string{
		target,
		"http://localhost:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://[::1]:" + port + "/",
		"http://2130706433:" + port + "/",
		"http://0x7f.1:" + port + "/",
		"http://10.0.0.1:" + port + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://" + name + ":" + port + "/",
	}
	var endpoints []*admit.WebhookEndpoint
	for _, u := range urls {
		endpoints = append(endpoints, f.mustEndpoint(t, u, "order.paid"))
	}
	f.startWorker(t, webhook.Options{URLs: webhook.URLPolicy{AllowHTTP: true}, Timeout: time.Second, Schedule: []time.Duration{10 * time.Millisecond}})
	f.mustPaidOrders(t, 1)
	waitFor(t, 20*time.Second, "every delivery failed", func() bool {
		return f.count(t, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'`) == len(urls)
	})
	if n := len(rc.all()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
	for i, e := range endpoints {
		for _, a := range f.attempts(t, f.deliveries(t, e)[0]) {
			if !strings.HasPrefix(a.Error, "Not sent: ") || a.ResponseStatus != 0 {
				t.Errorf("%s: %d %q", urls[i], a.ResponseStatus, a.Error)
			}
		}
	}
}
