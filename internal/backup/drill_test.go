package backup_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/s3/s3test"
)

// told is an order a buyer was told is paid, and when.
type told struct {
	ref string
	at  time.Time
}

// TestRestoreDrill is the operator's nightmare, rehearsed: tickets sell
// under load, a full backup is taken, selling goes on while the binary log
// is shipped, then someone runs DELETE FROM orders WHERE 1. The restore to
// the second before the mistake must bring back every order a buyer was
// told is paid, with its tickets, without oversell, and with the outbox
// remembering which emails were already sent. It logs the recovery point
// and the recovery time.
func TestRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the restore drill starts two MariaDB servers")
	}
	ctx := mustContext(t, 5*time.Minute)
	dsn := mustSourceServer(t, sourcePort())
	db, err := mysql.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st, prefix := s3test.MustStore(t)
	b := &backup.Backer{Store: st, Prefix: prefix + backup.Prefix, DSN: dsn, Recorder: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

	org := &admit.Organization{Slug: "drill", Name: "Drill"}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	ev := &admit.Event{OrganizationID: org.ID, Slug: "onsale", Name: "Drill on-sale", TimeZone: "UTC",
		StartsAt: time.Now().Add(30 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	const quantity = 1500 // sells out during the drill: the edge is tested too
	tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "GA", Quantity: quantity, MinPerOrder: 1, MaxPerOrder: 4}
	if err := db.CreateTicketType(ctx, tt); err != nil {
		t.Fatal(err)
	}
	co := checkout.New(checkout.Options{Ledger: db, BaseURL: "http://drill", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	// Buyers: free tickets, so an order is paid as it is placed.
	var mu sync.Mutex
	var paid []told
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				h, err := co.Hold(ctx, ev, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 1}}, checkout.Client{})
				if admit.ErrorCode(err) == admit.ESOLDOUT {
					time.Sleep(20 * time.Millisecond)
					continue
				} else if err != nil {
					t.Errorf("hold: %v", err)
					return
				}
				if i%5 == 4 {
					continue // an abandoned hold: it stays active, reserved
				}
				placed, err := co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: fmt.Sprintf("b%d-%d@drill.example", w, i)})
				if err != nil {
					t.Errorf("order: %v", err)
					return
				}
				if placed.Order.Status == admit.OrderPaid {
					mu.Lock()
					paid = append(paid, told{placed.Order.Reference, time.Now()})
					mu.Unlock()
				}
			}
		})
	}
	// The mailer: marks confirmation emails sent, as the worker does.
	sent := map[int64]time.Time{}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			rows, err := db.DueOutbox(ctx, time.Hour, time.Second, 200)
			if err != nil {
				t.Errorf("outbox: %v", err)
				return
			}
			for _, r := range rows {
				if first, err := db.CompleteOutbox(ctx, r.ID, "sent"); err == nil && first {
					mu.Lock()
					sent[r.ID] = time.Now()
					mu.Unlock()
				}
			}
		}
	})

	time.Sleep(1500 * time.Millisecond)
	full, err := b.Full(ctx)
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	t.Logf("full backup: %d bytes in %v at binlog %s:%d", full.Size, full.FinishedAt.Sub(full.StartedAt).Round(time.Millisecond), full.BinlogFile, full.BinlogPos)
	// Selling goes on; the binary log is shipped as admit backup run does
	// every minute, faster here.
	for range 3 {
		time.Sleep(time.Second)
		if _, err := b.ShipBinlogs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	// The mistake happens in a later second than the last sale, so
	// restoring to the second before it may lose nothing told paid.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	mistake := time.Now().UTC()
	sqlDB := db.SQL()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `SET foreign_key_checks = 0`); err != nil {
		t.Fatal(err)
	}
	res, err := conn.ExecContext(ctx, `DELETE FROM orders WHERE 1`)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	deleted, _ := res.RowsAffected()
	// The next minute's shipping takes the mistake along with the rest.
	if _, err := b.ShipBinlogs(ctx); err != nil {
		t.Fatal(err)
	}

	target := mistake.Truncate(time.Second).Add(-time.Second)
	restoreStart := time.Now()
	rep, err := b.Restore(ctx, backup.RestoreOptions{To: target, DataDir: filepath.Join(t.TempDir(), "restored"),
		Port: sourcePort() + 1, Database: "admit", User: "admit", Password: "admit",
		Check: func(ctx context.Context, dsn string) (admit.LedgerReport, error) {
			rdb, err := mysql.Open(dsn)
			if err != nil {
				return admit.LedgerReport{}, err
			}
			defer rdb.Close()
			return rdb.CheckLedger(ctx)
		}})
	if rep != nil && rep.PID > 0 {
		t.Cleanup(func() { _ = backup.StopServer(rep.PID, 20*time.Second) })
	}
	if err != nil {
		if rep != nil && rep.ServerLogPath != "" {
			log, _ := os.ReadFile(rep.ServerLogPath)
			t.Logf("restored server's log:\n%s", log)
		}
		t.Fatal(err)
	}
	rto := time.Since(restoreStart)

	restored, err := mysql.Open(rep.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	var lastPaid time.Time
	missing := 0
	for _, p := range paid {
		if p.at.After(lastPaid) {
			lastPaid = p.at
		}
		var status string
		var tickets int
		err := restored.SQL().QueryRowContext(ctx, `SELECT o.status, (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status = 'valid')
			FROM orders o WHERE o.reference = ?`, p.ref).Scan(&status, &tickets)
		if err != nil || status != string(admit.OrderPaid) || tickets == 0 {
			missing++
			if missing <= 5 {
				t.Errorf("order %s told paid at %s: restored as %q with %d tickets (%v)", p.ref, p.at.UTC().Format(time.StampMilli), status, tickets, err)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d orders told paid are not back", missing, len(paid))
	}
	var issued int
	if err := restored.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets WHERE ticket_type_id = ? AND status IN ('pending', 'valid')`, tt.ID).Scan(&issued); err != nil {
		t.Fatal(err)
	}
	if issued > quantity {
		t.Errorf("%d tickets issued of %d: oversold", issued, quantity)
	}
	// Emails sent before the target are done in the restored outbox, so the
	// worker does not send them again.
	due, err := restored.DueOutbox(ctx, 0, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	dueIDs := map[int64]bool{}
	for _, r := range due {
		dueIDs[r.ID] = true
	}
	resent := 0
	for id, at := range sent {
		if at.Before(target) && dueIDs[id] {
			resent++
		}
	}
	if resent > 0 {
		t.Errorf("%d emails sent before the target would be sent again", resent)
	}
	if len(paid) == 0 || len(sent) == 0 {
		t.Fatalf("the drill sold %d orders and sent %d emails: it proves nothing", len(paid), len(sent))
	}
	rpo := mistake.Sub(target.Add(time.Second))
	t.Logf("sold %d paid orders (%d tickets issued of %d), sent %d emails; the mistake deleted %d orders at %s",
		len(paid), issued, quantity, len(sent), deleted, mistake.Format("15:04:05.000"))
	t.Logf("restored to %s from %s + %d binlog files: %d orders, %d tickets, %d outbox rows pending",
		target.Format(backup.TimeLayout), full.Key[len(prefix):], len(rep.Binlogs), rep.Ledger.Orders, rep.Ledger.Tickets, rep.Ledger.OutboxPending)
	t.Logf("RPO: %v of writes before the mistake were not replayed (last sale %v before the mistake); shipping every minute bounds it at 60 s if the server itself is lost",
		rpo.Round(time.Millisecond), mistake.Sub(lastPaid).Round(time.Millisecond))
	t.Logf("RTO: %v (download and unpack %v, prepare %v, replay %v, ledger check %v)",
		rto.Round(time.Millisecond), rep.Download.Round(time.Millisecond), rep.Prepare.Round(time.Millisecond),
		rep.Replay.Round(time.Millisecond), rep.Check.Round(time.Millisecond))
	if rpo > 60*time.Second {
		t.Errorf("RPO %v exceeds 60 s", rpo)
	}
}

// TestMetricsLastBackup: /metrics carries when the last backup of each kind
// finished, 0 before the first.
func TestMetricsLastBackup(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(backup.NewMetrics(db, slog.New(slog.NewTextHandler(io.Discard, nil))))
	read := func() map[string]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				out[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
		return out
	}
	if got := read(); got["full"] != 0 || got["binlog"] != 0 {
		t.Errorf("before any backup: %v, want 0 for both", got)
	}
	at := time.Date(2027, 3, 15, 9, 0, 3, 0, time.UTC)
	if err := db.RecordBackup(ctx, admit.Backup{Kind: admit.BackupFull, Key: "k", StartedAt: at.Add(-time.Minute), FinishedAt: at}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got["full"] != float64(at.Unix()) || got["binlog"] != 0 {
		t.Errorf("after a full backup at %v: %v", at, got)
	}
}
