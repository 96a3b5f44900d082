package mysql_test

import (
	"context"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// mustServing opens a handle on dsn that announces itself as a serving app
// server (KeepAlive), and waits until its row is alive.
func mustServing(tb testing.TB, dsn string) (*mysql.DB, context.CancelFunc) {
	tb.Helper()
	db, err := mysql.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go db.KeepAlive(ctx, func(error) {})
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM app_instances WHERE id = ? AND alive_until > NOW(6)`, db.Instance()).Scan(&n)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("app instance %s never announced itself", db.Instance())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Cleanup(func() { cancel(); db.Close() })
	return db, cancel
}

// TestIdempotencyKeyOfADeadServer: a key whose first request is running on
// a live server answers "in progress" to its repeats however long it runs;
// once that server dies, the repeats take it over within seconds (not the
// 30 s after which no answer could reach the client), exactly one of many
// concurrent repeats gets it, and the rest then replay its answer.
func TestIdempotencyKeyOfADeadServer(t *testing.T) {
	ctx := context.Background()
	dsn := mysqltest.MustDSN(t)
	app1, _ := mustServing(t, dsn)
	app2, _ := mustServing(t, dsn)
	app3, _ := mustServing(t, dsn)
	key := admit.IdempotencyKey{OrganizationID: 1, Scope: "api:1", Key: "order-7"}
	hash := sha256.Sum256([]byte("POST /api/v1/orders/7/refunds"))
	if stored, err := app1.BeginIdempotent(ctx, key, hash[:]); err != nil || stored != nil {
		t.Fatalf("app1 claiming the key: %v, %v", stored, err)
	}

	// app1 is alive: its request may take as long as it takes. Past
	// several renewals, a repeat still waits.
	for _, wait := range []time.Duration{0, 2500 * time.Millisecond} {
		time.Sleep(wait)
		if _, err := app2.BeginIdempotent(ctx, key, hash[:]); admit.ErrorCode(err) != admit.ECONFLICT {
			t.Fatalf("a repeat after %v while app1 runs the request: %v, want ECONFLICT", wait, err)
		}
	}

	// app1 dies mid-request: its connections go, its row is never
	// removed, only lapses.
	app1.Close()
	died := time.Now()

	// Clients retry through both other servers at once.
	const repeats = 16
	var mu sync.Mutex
	var owners []int
	tookOverAfter := time.Duration(0)
	var wg sync.WaitGroup
	for i := range repeats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := app2
			if i%2 == 1 {
				db = app3
			}
			for time.Since(died) < 20*time.Second {
				stored, err := db.BeginIdempotent(ctx, key, hash[:])
				switch {
				case err == nil && stored == nil:
					mu.Lock()
					owners = append(owners, i)
					tookOverAfter = time.Since(died)
					mu.Unlock()
					return
				case err == nil:
					return // another repeat took it and answered
				case admit.ErrorCode(err) != admit.ECONFLICT:
					t.Errorf("repeat %d: %v", i, err)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	// Whoever took the key answers it once it holds it.
	go func() {
		for {
			mu.Lock()
			n := len(owners)
			mu.Unlock()
			if n > 0 || time.Since(died) > 20*time.Second {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		app2.FinishIdempotent(ctx, key, 201, []byte(`{"refund":1}`))
	}()
	wg.Wait()
	if len(owners) != 1 {
		t.Fatalf("%d repeats took the key over (%v), want exactly 1", len(owners), owners)
	}
	t.Logf("the key was taken over %v after its server died", tookOverAfter.Round(time.Millisecond))
	// Well inside the 30 s fallback: the holder's death is what let it go.
	if tookOverAfter > 10*time.Second {
		t.Errorf("taken over %v after the server died, want within seconds", tookOverAfter)
	}
	stored, err := app3.BeginIdempotent(ctx, key, hash[:])
	if err != nil || stored == nil || stored.Status != 201 {
		t.Errorf("a later repeat: %+v, %v; want the stored 201", stored, err)
	}
}

// TestIdempotencyKeyOfAServerDraining: a server shutting down keeps its row
// alive until its requests are done, so a repeat during the drain waits
// for the answer instead of running the request twice.
func TestIdempotencyKeyOfAServerDraining(t *testing.T) {
	ctx := context.Background()
	dsn := mysqltest.MustDSN(t)
	app1, stop1 := mustServing(t, dsn)
	app2, _ := mustServing(t, dsn)
	key := admit.IdempotencyKey{OrganizationID: 1, Scope: "api:1", Key: "drain"}
	hash := sha256.Sum256([]byte("POST /api/v1/orders"))
	if stored, err := app1.BeginIdempotent(ctx, key, hash[:]); err != nil || stored != nil {
		t.Fatalf("app1 claiming the key: %v, %v", stored, err)
	}
	time.Sleep(4 * time.Second) // longer than a row counts without renewal
	if _, err := app2.BeginIdempotent(ctx, key, hash[:]); admit.ErrorCode(err) != admit.ECONFLICT {
		t.Fatalf("a repeat while app1 drains: %v, want ECONFLICT", err)
	}
	if err := app1.FinishIdempotent(ctx, key, 200, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	stop1()
	if stored, err := app2.BeginIdempotent(ctx, key, hash[:]); err != nil || stored == nil || stored.Status != 200 {
		t.Errorf("a repeat after the drain: %+v, %v; want the stored 200", stored, err)
	}
}
