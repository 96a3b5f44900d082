package backup_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/mysql"
)

// drillStack is what the restore drill runs against: the single stack's
// setup (a MariaDB of the test's own, buyers in process) or the paired
// stack (buyers through both HAProxies, backups of the Galera node that is
// not the writer).
type drillStack struct {
	// DB is the live ledger as the application reaches it: the fixture is
	// made there, and so is the mistake.
	DB *mysql.DB
	// LiveDSN reaches the same database with the mariadb client, for
	// copying the lost rows back after the restore.
	LiveDSN  string
	Sell     seller
	Buyers   int
	Quantity int
	// Mailer: no worker runs, so the drill marks confirmation emails sent
	// itself, as the worker does.
	Mailer bool
	// Full takes a full backup; Ship ships the binary log.
	Full func(context.Context) (*backup.Manifest, error)
	Ship func(context.Context) error
	// Restorer restores from the bucket Full and Ship write to.
	Restorer    *backup.Backer
	RestorePort int
	RestoreDir  string
	// After, if set, checks more of the live stack once the ledger is
	// whole again.
	After func(fx drillFixture, paid []told)
}

// seller is a buyer's way in: Hold reports admit.ESOLDOUT when no ticket
// is left; Order says whether the buyer was told the order is paid.
type seller interface {
	Hold(ctx context.Context, org *admit.Organization, ev *admit.Event, tt *admit.TicketType) (held, error)
	Order(ctx context.Context, h held, buyer string) (reference string, paid bool, err error)
}

// held is a hold as its buyer knows it.
type held struct{ ID, Secret string }

// told is an order a buyer was told is paid, and when.
type told struct {
	ref string
	at  time.Time
}

// drillFixture is the drill's own organization, event and ticket type.
type drillFixture struct {
	org *admit.Organization
	ev  *admit.Event
	tt  *admit.TicketType
}

// runDrill is the operator's nightmare, rehearsed: tickets sell under
// load, a full backup is taken, selling goes on while the binary log is
// shipped, then someone runs DELETE FROM orders WHERE 1. The restore to the
// second before the mistake must bring back every order a buyer was told
// is paid, with its tickets, without oversell, and with the outbox
// remembering which emails were already sent. Then the operator's next
// step: the deleted orders are copied back from the restored server into
// the live database, whose ledger must then be whole again. It logs the
// recovery point and the recovery time.
func runDrill(t *testing.T, ctx context.Context, s drillStack) {
	fx := mustDrillFixture(t, ctx, s.DB, s.Quantity)
	paid := sellWhileBackingUp(t, ctx, s, fx)
	// Emails the outbox records as sent before the mistake, by when.
	sent := mustSentEmails(t, ctx, s.DB, fx.org.ID)

	// The mistake happens in a later second than the last sale, so
	// restoring to the second before it may lose nothing told paid.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	mistake := time.Now().UTC()
	deleted := mustDeleteAllOrders(t, ctx, s.DB)
	// The next minute's shipping takes the mistake along with the rest.
	if err := s.Ship(ctx); err != nil {
		t.Fatal(err)
	}

	target := mistake.Truncate(time.Second).Add(-time.Second)
	restoreStart := time.Now()
	rep := mustRestore(t, ctx, s, target)
	rto := time.Since(restoreStart)

	restored, err := mysql.Open(rep.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	lastPaid := checkToldPaid(t, ctx, restored, paid, "restored")
	issued := checkNotOversold(t, ctx, restored, fx.tt)
	checkNotResent(t, ctx, restored, sent, target)
	if len(paid) == 0 || len(sent) == 0 {
		t.Fatalf("the drill sold %d orders and sent %d emails: it proves nothing", len(paid), len(sent))
	}
	rpo := mistake.Sub(target.Add(time.Second))
	t.Logf("sold %d paid orders (%d tickets issued of %d), sent %d emails; the mistake deleted %d orders at %s",
		len(paid), issued, s.Quantity, len(sent), deleted, mistake.Format("15:04:05.000"))
	t.Logf("restored to %s from %s (%s, taken from %s) + %d binlog files: %d orders, %d tickets, %d outbox rows pending",
		target.Format(backup.TimeLayout), rep.Full.Key, sizeOf(rep.Full.Size), rep.Full.Source, len(rep.Binlogs),
		rep.Ledger.Orders, rep.Ledger.Tickets, rep.Ledger.OutboxPending)
	t.Logf("RPO: %v of writes before the mistake were not replayed (last sale %v before the mistake); shipping every minute bounds it at 60 s if the server itself is lost",
		rpo.Round(time.Millisecond), mistake.Sub(lastPaid).Round(time.Millisecond))
	t.Logf("RTO: %v (download and unpack %v, prepare %v, replay %v, ledger check %v)",
		rto.Round(time.Millisecond), rep.Download.Round(time.Millisecond), rep.Prepare.Round(time.Millisecond),
		rep.Replay.Round(time.Millisecond), rep.Check.Round(time.Millisecond))
	if rpo > 60*time.Second {
		t.Errorf("RPO %v exceeds 60 s", rpo)
	}
	copyBackAndCheck(t, ctx, s, rep.DSN, paid)
	if s.After != nil && !t.Failed() {
		s.After(fx, paid)
	}
}

func mustDrillFixture(t *testing.T, ctx context.Context, db *mysql.DB, quantity int) drillFixture {
	t.Helper()
	slug := "drill-" + strings.ToLower(admit.NewToken(4))
	org := &admit.Organization{Slug: slug, Name: "Drill " + slug}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	ev := &admit.Event{OrganizationID: org.ID, Slug: "onsale", Name: "Drill on-sale", TimeZone: "UTC",
		StartsAt: time.Now().Add(30 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	// Free tickets, so an order is paid as it is placed; the type may sell
	// out during the drill: the edge is tested too.
	tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "GA", Quantity: quantity, MinPerOrder: 1, MaxPerOrder: 4}
	if err := db.CreateTicketType(ctx, tt); err != nil {
		t.Fatal(err)
	}
	return drillFixture{org, ev, tt}
}

// sellWhileBackingUp runs the buyers (and the mailer, if the stack has no
// worker) through a full backup and three shipments of the binary log, and
// returns the orders whose buyers were told they are paid.
func sellWhileBackingUp(t *testing.T, ctx context.Context, s drillStack, fx drillFixture) []told {
	var mu sync.Mutex
	var paid []told
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range s.Buyers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				h, err := s.Sell.Hold(ctx, fx.org, fx.ev, fx.tt)
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
				ref, ok, err := s.Sell.Order(ctx, h, fmt.Sprintf("b%d-%d@%s.example", w, i, fx.org.Slug))
				if err != nil {
					t.Errorf("order: %v", err)
					return
				}
				if ok {
					mu.Lock()
					paid = append(paid, told{ref, time.Now()})
					mu.Unlock()
				}
			}
		})
	}
	if s.Mailer {
		wg.Go(func() { markEmailsSent(t, ctx, s.DB, stop) })
	}
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer halt() // on the way out of a Fatal below

	time.Sleep(1500 * time.Millisecond)
	full, err := s.Full(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("full backup: %s in %v at binlog %s:%d, from %s", sizeOf(full.Size), full.FinishedAt.Sub(full.StartedAt).Round(time.Millisecond),
		full.BinlogFile, full.BinlogPos, full.Source)
	// Selling goes on; the binary log is shipped as admit backup run does
	// every minute, faster here.
	for range 3 {
		time.Sleep(time.Second)
		if err := s.Ship(ctx); err != nil {
			t.Fatal(err)
		}
	}
	halt()
	return paid
}

// markEmailsSent marks confirmation emails sent, as the worker does.
func markEmailsSent(t *testing.T, ctx context.Context, db *mysql.DB, stop <-chan struct{}) {
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
			if _, err := db.CompleteOutbox(ctx, r.ID, "sent"); err != nil {
				t.Errorf("outbox: %v", err)
				return
			}
		}
	}
}

// mustSentEmails reads which of the organization's side effects the
// outbox records as done, and when (the database's clock).
func mustSentEmails(t *testing.T, ctx context.Context, db *mysql.DB, orgID int64) map[int64]time.Time {
	t.Helper()
	rows, err := db.SQL().QueryContext(ctx, `SELECT id, done_at FROM outbox WHERE organization_id = ? AND done_at IS NOT NULL`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	sent := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		sent[id] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return sent
}

// mustDeleteAllOrders is the operator's mistake.
func mustDeleteAllOrders(t *testing.T, ctx context.Context, db *mysql.DB) int64 {
	t.Helper()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET foreign_key_checks = 0`); err != nil {
		t.Fatal(err)
	}
	res, err := conn.ExecContext(ctx, `DELETE FROM orders WHERE 1`)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := res.RowsAffected()
	return n
}

func mustRestore(t *testing.T, ctx context.Context, s drillStack, target time.Time) *backup.RestoreReport {
	t.Helper()
	rep, err := s.Restorer.Restore(ctx, backup.RestoreOptions{To: target, DataDir: s.RestoreDir,
		Port: s.RestorePort, Database: "admit", User: "admit", Password: "admit",
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
	return rep
}

// checkToldPaid: every order a buyer was told is paid is in db, paid, with
// its ticket. It returns when the last of them was told.
func checkToldPaid(t *testing.T, ctx context.Context, db *mysql.DB, paid []told, where string) (last time.Time) {
	t.Helper()
	missing := 0
	for _, p := range paid {
		if p.at.After(last) {
			last = p.at
		}
		var status string
		var tickets int
		err := db.SQL().QueryRowContext(ctx, `SELECT o.status, (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status = 'valid')
			FROM orders o WHERE o.reference = ?`, p.ref).Scan(&status, &tickets)
		if err != nil || status != string(admit.OrderPaid) || tickets == 0 {
			missing++
			if missing <= 5 {
				t.Errorf("order %s told paid at %s: %s as %q with %d tickets (%v)", p.ref, p.at.UTC().Format(time.StampMilli), where, status, tickets, err)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d orders told paid are not back (%s)", missing, len(paid), where)
	}
	return last
}

func checkNotOversold(t *testing.T, ctx context.Context, db *mysql.DB, tt *admit.TicketType) (issued int) {
	t.Helper()
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets WHERE ticket_type_id = ? AND status IN ('pending', 'valid')`, tt.ID).Scan(&issued); err != nil {
		t.Fatal(err)
	}
	if issued > tt.Quantity {
		t.Errorf("%d tickets issued of %d: oversold", issued, tt.Quantity)
	}
	return issued
}

// checkNotResent: emails sent by the target second are done in the
// restored outbox, so the worker does not send them again.
func checkNotResent(t *testing.T, ctx context.Context, restored *mysql.DB, sent map[int64]time.Time, target time.Time) {
	t.Helper()
	due, err := restored.DueOutbox(ctx, 0, 0, 1000000)
	if err != nil {
		t.Fatal(err)
	}
	dueIDs := map[int64]bool{}
	for _, r := range due {
		dueIDs[r.ID] = true
	}
	resent := 0
	for id, at := range sent {
		if at.Before(target.Add(time.Second)) && dueIDs[id] {
			resent++
		}
	}
	if resent > 0 {
		t.Errorf("%d emails sent by the target second would be sent again", resent)
	}
}

// copyBackAndCheck is what an operator does after a restore when business
// went on after the mistake: rather than roll the whole database back, copy
// the deleted rows from the restored server into the live one (the
// README's command, INSERT IGNORE keeps every row that is still there).
// The live ledger must then be whole: every order told paid, a clean check.
func copyBackAndCheck(t *testing.T, ctx context.Context, s drillStack, restoredDSN string, paid []told) {
	t.Helper()
	start := time.Now()
	from, to := mustClientArgs(t, restoredDSN), mustClientArgs(t, s.LiveDSN)
	dumpArgs := append(append([]string{"--no-defaults"}, from[1:]...), "--no-create-info", "--insert-ignore",
		"--skip-add-locks", "--skip-disable-keys", "--skip-triggers", "--single-transaction", "admit", "orders")
	dump := exec.CommandContext(ctx, "mariadb-dump", dumpArgs...)
	load := exec.CommandContext(ctx, "mariadb", append(to, "admit")...)
	pipe, err := dump.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var dumpErr, loadErr strings.Builder
	dump.Stderr, load.Stdin, load.Stderr = &dumpErr, pipe, &loadErr
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	if err := load.Run(); err != nil {
		_ = dump.Wait()
		t.Fatalf("copying the orders back: %v: %s", err, loadErr.String())
	}
	if err := dump.Wait(); err != nil {
		t.Fatalf("mariadb-dump: %v: %s", err, dumpErr.String())
	}
	rep, err := s.DB.CheckLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Errorf("the live ledger after copying the orders back: %s", strings.Join(rep.Problems, "; "))
	}
	checkToldPaid(t, ctx, s.DB, paid, "copied back")
	t.Logf("copied the orders back into the live database in %v: %d orders (%d paid), %d tickets; ledger check clean: %v",
		time.Since(start).Round(time.Millisecond), rep.Orders, rep.PaidOrders, rep.Tickets, len(rep.Problems) == 0)
}

// mustClientArgs are the mariadb client's options for a DSN:
// --no-defaults first, then host, port, user and password.
func mustClientArgs(t *testing.T, dsn string) []string {
	t.Helper()
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, ok := strings.Cut(cfg.Addr, ":")
	if !ok {
		port = "3306"
	}
	return []string{"--no-defaults", "--protocol=tcp", "--host=" + host, "--port=" + port, "--user=" + cfg.User, "--password=" + cfg.Passwd}
}

func sizeOf(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
