package jobs_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
)

// undoneIDs returns the ids of the side effects not done yet.
func (f *fixture) undoneIDs(tb testing.TB) []int64 {
	tb.Helper()
	rows, err := f.db.SQL().Query(`SELECT id FROM outbox WHERE done_at IS NULL ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// mustRecipients returns how many emails of this test each address got.
func (f *fixture) mustRecipients(tb testing.TB) map[string]int {
	tb.Helper()
	got := map[string]int{}
	for _, e := range mustSent(tb, f.tag, f.start) {
		got[e.Destination.To[0]]++
	}
	return got
}

// TestBatchWithAPoisonedRow: in a batch, a confirmation whose order does
// not exist fails alone: every other side effect happens and is recorded
// done; the poisoned row counts its attempt and keeps its error, and
// another run of the batch tries only it again.
func TestBatchWithAPoisonedRow(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	orders := f.mustOrders(t, 5)
	res, err := f.db.SQL().Exec(`INSERT INTO outbox (organization_id, kind, payload) VALUES (?, 'email.order_confirmation', '{"order_id": 999999}')`,
		f.event.OrganizationID)
	if err != nil {
		t.Fatal(err)
	}
	poisoned, _ := res.LastInsertId()
	renderer, err := email.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	h := f.outbox(renderer)
	ids := f.undoneIDs(t)
	if len(ids) != 2*len(orders)+1 {
		t.Fatalf("%d side effects, want 2 per free order (its confirmation, its order.paid webhook) and the poisoned one", len(ids))
	}
	if err := h.PerformBatch(ctx, ids); err != nil {
		t.Fatalf("a batch with one failing row: %v", err)
	}
	check := func(attempts int) {
		t.Helper()
		if got := f.undoneIDs(t); len(got) != 1 || got[0] != poisoned {
			t.Errorf("not done: %v, want only the poisoned row %d", got, poisoned)
		}
		var n int
		var lastError string
		f.db.SQL().QueryRow(`SELECT attempts, last_error FROM outbox WHERE id = ?`, poisoned).Scan(&n, &lastError)
		if n != attempts || !strings.Contains(lastError, "order 999999") {
			t.Errorf("poisoned row: %d attempts, error %q; want %d attempts and why", n, lastError, attempts)
		}
		got := f.mustRecipients(t)
		for _, o := range orders {
			if got[o.BuyerEmail] != 1 {
				t.Errorf("%s got %d confirmations, want 1", o.BuyerEmail, got[o.BuyerEmail])
			}
		}
		if len(got) != len(orders) {
			t.Errorf("emails went to %d addresses, want %d", len(got), len(orders))
		}
	}
	check(1)
	// The same batch again: the done rows are skipped, the poisoned one
	// is tried (and fails) again.
	if err := h.PerformBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	check(2)
}

// TestBatchHandedOverTwice: the same rows, handed over in two batches that
// run at the same time on two workers (as when two relays read them at
// once), and then once more, are each performed once.
func TestBatchHandedOverTwice(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	orders := f.mustOrders(t, 10)
	renderer, err := email.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	ids := f.undoneIDs(t)
	workers := []*jobs.Outbox{f.outbox(renderer), f.outbox(renderer)}
	var wg sync.WaitGroup
	errs := make([]error, len(workers))
	for i, h := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = h.PerformBatch(ctx, ids) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Whichever batch lost a row to the other left it to that one; a
	// third run finds every row done.
	if err := workers[0].PerformBatch(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if left := f.undoneIDs(t); len(left) != 0 {
		t.Errorf("side effects not done: %v", left)
	}
	got := f.mustRecipients(t)
	for _, o := range orders {
		if got[o.BuyerEmail] != 1 {
			t.Errorf("%s got %d confirmations, want exactly 1", o.BuyerEmail, got[o.BuyerEmail])
		}
	}
	if len(got) != len(orders) {
		t.Errorf("emails went to %d addresses, want %d", len(got), len(orders))
	}
	var results []string
	rows, _ := f.db.SQL().Query(`SELECT result FROM outbox WHERE kind = 'email.order_confirmation'`)
	for rows.Next() {
		var r string
		rows.Scan(&r)
		results = append(results, r)
	}
	rows.Close()
	for _, r := range results {
		if !strings.HasPrefix(r, "ses:") {
			t.Errorf("a confirmation's result is %q, want its SES message id", r)
		}
	}
	if len(results) != len(orders) {
		t.Errorf("%d confirmations recorded, want %d", len(results), len(orders))
	}
}
