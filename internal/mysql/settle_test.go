package mysql_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestRecordingRidesOutAnOutage: the writes that record an effect which
// already happened (an email SES accepted, the answer an API client got)
// wait out a short database outage instead of failing, which would send the
// email again or leave the client's retries refused as "in progress".
func TestRecordingRidesOutAnOutage(t *testing.T) {
	ctx := context.Background()
	db, proxy := mysqltest.MustOpenBehindCutProxy(t)
	res, err := db.SQL().Exec(`INSERT INTO outbox (kind, payload) VALUES ('email.order_confirmation', '{}')`)
	if err != nil {
		t.Fatal(err)
	}
	outboxID, _ := res.LastInsertId()
	key := admit.IdempotencyKey{OrganizationID: 1, Scope: "test", Key: "k1"}
	hash := sha256.Sum256([]byte("request"))
	if stored, err := db.BeginIdempotent(ctx, key, hash[:]); err != nil || stored != nil {
		t.Fatalf("claiming the key: %v, %v", stored, err)
	}

	proxy.SetCut(true)
	heal := time.AfterFunc(1500*time.Millisecond, func() { proxy.SetCut(false) })
	defer heal.Stop()
	began := time.Now()
	var wg sync.WaitGroup
	var first bool
	var completeErr, finishErr error
	wg.Add(2)
	go func() { defer wg.Done(); first, completeErr = db.CompleteOutbox(ctx, outboxID, "ses-message-id") }()
	go func() { defer wg.Done(); finishErr = db.FinishIdempotent(ctx, key, 201, []byte(`{"ok":true}`)) }()
	wg.Wait()
	if completeErr != nil || !first {
		t.Errorf("recording the sent email across the outage: first %v, %v", first, completeErr)
	}
	if finishErr != nil {
		t.Errorf("storing the answer across the outage: %v", finishErr)
	}
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("returned after %v, before the database was back", waited)
	}
	stored, err := db.BeginIdempotent(ctx, key, hash[:])
	if err != nil || stored == nil || stored.Status != 201 {
		t.Errorf("a retry of the key: %+v, %v; want the stored 201", stored, err)
	}
	var result string
	db.SQL().QueryRow(`SELECT result FROM outbox WHERE id = ? AND done_at IS NOT NULL`, outboxID).Scan(&result)
	if result != "ses-message-id" {
		t.Errorf("outbox row result %q, want it recorded as done", result)
	}
}

// TestBatchesRideOutAFailover: buyers whose holds are batched while MySQL
// stops answering, as during a Galera writer's failover, are answered once
// it is back, with their holds taken, rather than failed after a few quick
// retries (which would send each of them a 500 and back to retry).
func TestBatchesRideOutAFailover(t *testing.T) {
	ctx := context.Background()
	db, proxy := mysqltest.MustOpenBehindCutProxy(t)
	_, ev, ga := mustEventOrg(t, db, "failover-wait")
	mysqltest.SetLedger(t, db, ga.ID, 100, 0, 0)

	proxy.SetCut(true)
	heal := time.AfterFunc(1500*time.Millisecond, func() { proxy.SetCut(false) })
	defer heal.Stop()
	began := time.Now()
	const buyers = 12
	errs := make([]error, buyers)
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.CreateHold(ctx, hold(ev, fmt.Sprintf("buyer-%d", i), item(ga, 1)), time.Minute, admit.HoldLimits{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("buyer %d: %v, want the hold once MySQL was back", i, err)
		}
	}
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("answered after %v, before MySQL was back", waited)
	}
	if _, reserved, _ := mysqltest.Ledger(t, db, ga.ID); reserved != buyers {
		t.Errorf("%d reserved, want %d (one per buyer, none twice)", reserved, buyers)
	}
}

// TestDefinitionsServedThroughAFailover: the event and ticket type
// definitions a hold reads from the per-process cache are still served,
// a little stale, while MySQL does not answer, so buyers are not failed
// for the length of a failover; what was never loaded is an error.
func TestDefinitionsServedThroughAFailover(t *testing.T) {
	ctx := context.Background()
	db, proxy := mysqltest.MustOpenBehindCutProxy(t)
	org, ev, ga := mustEventOrg(t, db, "stale-defs")
	if _, err := db.CachedPublicEvent(ctx, org.Slug, ev.Slug); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CachedTicketTypes(ctx, org.ID, ev.ID); err != nil {
		t.Fatal(err)
	}

	proxy.SetCut(true)
	time.Sleep(1100 * time.Millisecond) // past the second an entry is fresh
	got, err := db.CachedPublicEvent(ctx, org.Slug, ev.Slug)
	if err != nil || got.ID != ev.ID {
		t.Errorf("the event while MySQL does not answer: %+v, %v; want the cached one", got, err)
	}
	types, err := db.CachedTicketTypes(ctx, org.ID, ev.ID)
	if err != nil || len(types) != 1 || types[0].ID != ga.ID {
		t.Errorf("the ticket types while MySQL does not answer: %v, %v; want the cached one", types, err)
	}
	if _, err := db.CachedPublicEvent(ctx, org.Slug, "never-loaded"); err == nil {
		t.Error("an event never loaded was answered while MySQL did not answer")
	}
}

// TestKeyClaimRidesOutAFailover: an API request with an Idempotency-Key
// that arrives while MySQL is failing over claims its key once MySQL is
// back, rather than failing (and its client's retry then claims nothing
// twice).
func TestKeyClaimRidesOutAFailover(t *testing.T) {
	ctx := context.Background()
	db, proxy := mysqltest.MustOpenBehindCutProxy(t)
	key := admit.IdempotencyKey{OrganizationID: 1, Scope: "test", Key: "failover"}
	hash := sha256.Sum256([]byte("request"))

	proxy.SetCut(true)
	heal := time.AfterFunc(1500*time.Millisecond, func() { proxy.SetCut(false) })
	defer heal.Stop()
	began := time.Now()
	if stored, err := db.BeginIdempotent(ctx, key, hash[:]); err != nil || stored != nil {
		t.Fatalf("claiming the key through the outage: %+v, %v; want it claimed", stored, err)
	}
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("claimed after %v, before MySQL was back", waited)
	}
	if _, err := db.BeginIdempotent(ctx, key, hash[:]); admit.ErrorCode(err) != admit.ECONFLICT {
		t.Errorf("a repeat while the first runs: %v, want %s", err, admit.ECONFLICT)
	}
	if err := db.FinishIdempotent(ctx, key, 201, []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	if stored, err := db.BeginIdempotent(ctx, key, hash[:]); err != nil || stored == nil || stored.Status != 201 {
		t.Errorf("a repeat once answered: %+v, %v; want the stored 201", stored, err)
	}
}
