package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
)

// ScratchDB creates a new, migrated database on the server of dsn for one
// run, so that the worker under test sees only the run's side effects, and
// returns it with a function that drops it.
func ScratchDB(ctx context.Context, dsn string) (db *mysql.DB, name string, drop func(), err error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, "", nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	name = "admit_bench_" + strings.ToLower(admit.NewToken(5))
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		return nil, "", nil, fmt.Errorf("creating the bench's database: %w", err)
	}
	drop = func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		admin.Close()
	}
	cfg.DBName = name
	db, err = mysql.Open(cfg.FormatDSN())
	if err == nil {
		_, err = db.Migrate(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		drop()
		return nil, "", nil, err
	}
	return db, name, drop, nil
}

// ConfirmationsOptions configures RunConfirmations.
type ConfirmationsOptions struct {
	// DB is the run's own database (ScratchDB): every side effect in it is
	// the run's.
	DB *mysql.DB
	// Orders is how many paid orders to create, each with Tickets tickets
	// and an answer to a question per ticket.
	Orders, Tickets int
	// Procs is GOMAXPROCS while the worker runs; the orders are created
	// before, with every core.
	Procs int
	// Worker starts the worker pipeline (relay, queue, handlers) on DB and
	// runs it until ctx is done.
	Worker func(ctx context.Context) error
	// Timeout bounds the wait for every side effect to be done.
	Timeout time.Duration
	// SESPid, if set, is the process id of the SES emulator, whose CPU time
	// is reported beside the worker's (Linux only).
	SESPid int
	// Progress receives a line now and then while the run waits.
	Progress io.Writer
	// CPUProfile, if set, receives a CPU profile of the worker's run.
	CPUProfile io.Writer
}

// ConfirmationsResult is what one run measured.
type ConfirmationsResult struct {
	Orders  int `json:"orders"`
	Tickets int `json:"tickets_per_order"`
	Procs   int `json:"gomaxprocs"`
	// SideEffects is how many outbox rows the orders recorded.
	SideEffects int `json:"side_effects"`
	// Seconds runs from the worker's start to the last confirmation sent
	// (recorded done in MySQL).
	Seconds          float64 `json:"seconds"`
	ConfirmationsSec float64 `json:"confirmations_per_second"`
	// AllDoneSeconds runs to the last side effect of any kind done.
	AllDoneSeconds float64 `json:"all_done_seconds"`
	// Statements are the MySQL server's statement counters (SHOW GLOBAL
	// STATUS) over the run, less the bench's own polling. They count every
	// client of the server: run it on a quiet server.
	Statements    map[string]int64 `json:"statements"`
	StatementsPer float64          `json:"statements_per_order"`
	CPUSeconds    float64          `json:"worker_cpu_seconds"`
	CPUPerOrder   float64          `json:"worker_cpu_ms_per_order"`
	SESCPUSeconds float64          `json:"ses_cpu_seconds,omitempty"`
}

// statementCounters are the counters summed into statements per order: every
// statement kind the worker sends, and the session settings of new
// connections.
var statementCounters = []string{"Com_select", "Com_insert", "Com_insert_select", "Com_update", "Com_update_multi", "Com_delete",
	"Com_delete_multi", "Com_replace", "Com_begin", "Com_commit", "Com_rollback", "Com_set_option", "Com_stmt_execute"}

// RunConfirmations creates paid orders, then runs the worker until every
// side effect they recorded is done, and reports the confirmations sent per
// second, the MySQL statements per order and the worker's CPU per order.
func RunConfirmations(ctx context.Context, o ConfirmationsOptions) (*ConfirmationsResult, error) {
	if o.Orders <= 0 || o.Tickets <= 0 || o.Procs <= 0 {
		return nil, errors.New("orders, tickets per order and procs must be positive")
	}
	if err := createPaidOrders(ctx, o); err != nil {
		return nil, err
	}
	res := &ConfirmationsResult{Orders: o.Orders, Tickets: o.Tickets, Procs: o.Procs, Statements: map[string]int64{}}
	db := o.DB.SQL()
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE done_at IS NULL`).Scan(&res.SideEffects); err != nil {
		return nil, err
	}
	// Warm the pool so that the run's connections are already open.
	var dbStart time.Time
	if err := db.QueryRowContext(ctx, `SELECT NOW(6)`).Scan(&dbStart); err != nil {
		return nil, err
	}
	before, err := globalStatus(ctx, db)
	if err != nil {
		return nil, err
	}
	sesBefore := processCPU(o.SESPid)
	cpuBefore := selfCPU()
	previous := runtime.GOMAXPROCS(o.Procs)
	start := time.Now()
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return nil, err
		}
	}

	workerCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var workerErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		workerErr = o.Worker(workerCtx)
	}()
	polls, undone := pollUntilDone(ctx, db, o, res.SideEffects, start)
	if o.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	cpuAfter := selfCPU()
	sesAfter := processCPU(o.SESPid)
	after, err := globalStatus(ctx, db)
	stop()
	wg.Wait()
	runtime.GOMAXPROCS(previous)
	if err != nil {
		return nil, err
	}
	if workerErr != nil {
		return nil, fmt.Errorf("worker: %w", workerErr)
	}
	if undone != 0 {
		return nil, fmt.Errorf("%d of %d side effects not done after %v", undone, res.SideEffects, o.Timeout)
	}
	if err := res.record(ctx, db, o, dbStart, polls, before, after); err != nil {
		return nil, err
	}
	if o.SESPid != 0 {
		res.SESCPUSeconds = (sesAfter - sesBefore).Seconds()
	}
	res.CPUSeconds = (cpuAfter - cpuBefore).Seconds()
	res.CPUPerOrder = 1000 * res.CPUSeconds / float64(o.Orders)
	return res, nil
}

// pollUntilDone counts the side effects left every 100 ms until none are,
// the run's timeout passes or ctx ends. polls is how many SELECTs of its
// own the bench sent, to take off the server's counters.
func pollUntilDone(ctx context.Context, db *sql.DB, o ConfirmationsOptions, total int, start time.Time) (polls, undone int) {
	undone = total
	deadline := start.Add(o.Timeout)
	lastReport := start
	for undone > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		polls++
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE done_at IS NULL`).Scan(&undone); err != nil {
			undone = -1
		}
		if o.Progress != nil && time.Since(lastReport) > 5*time.Second {
			fmt.Fprintf(o.Progress, "bench: %d of %d side effects left after %.0f s\n", undone, total, time.Since(start).Seconds())
			lastReport = time.Now()
		}
	}
	return polls, undone
}

// record checks that every confirmation was sent and fills in the rate,
// from the outbox's times since dbStart, and the statements per order, from
// the server's counters before and after less the bench's polls.
func (res *ConfirmationsResult) record(ctx context.Context, db *sql.DB, o ConfirmationsOptions, dbStart time.Time, polls int, before, after map[string]int64) error {
	var confirmed int
	var lastConfirmation, lastDone float64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, ?, MAX(done_at)) FROM outbox WHERE kind = 'email.order_confirmation' AND result LIKE 'ses:%'`,
		dbStart).Scan(&confirmed, &lastConfirmation); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT TIMESTAMPDIFF(MICROSECOND, ?, MAX(done_at)) FROM outbox`, dbStart).Scan(&lastDone); err != nil {
		return err
	}
	if confirmed != o.Orders {
		return fmt.Errorf("%d of %d confirmations sent", confirmed, o.Orders)
	}
	res.Seconds, res.AllDoneSeconds = lastConfirmation/1e6, lastDone/1e6
	res.ConfirmationsSec = float64(confirmed) / max(res.Seconds, 1e-9)
	var total int64
	for _, name := range statementCounters {
		n := after[name] - before[name]
		if name == "Com_select" {
			n -= int64(polls) // the bench's own
		}
		if n != 0 {
			res.Statements[name] = n
			total += n
		}
	}
	res.StatementsPer = float64(total) / float64(o.Orders)
	return nil
}

// createPaidOrders places the run's orders through the checkout, as buyers
// of free tickets do: each order is paid at once, with its confirmation
// email, its order.paid webhook and its order.placed event in the outbox.
func createPaidOrders(ctx context.Context, o ConfirmationsOptions) error {
	org := &admit.Organization{Slug: "bench-" + strings.ToLower(admit.NewToken(4)), Name: "Bench Events"}
	if err := o.DB.CreateOrganization(ctx, org); err != nil {
		return err
	}
	ev := &admit.Event{OrganizationID: org.ID, Slug: "confirmations", Name: "Confirmations bench", TimeZone: "Europe/Berlin",
		Venue: "Hall 1", Address: "Main Street 1, Berlin", StartsAt: time.Now().Add(90 * 24 * time.Hour), Currency: "EUR",
		Status: admit.EventPublished, HoldMinutes: 10, ContactEmail: "hello@bench.example.com"}
	if err := o.DB.CreateEvent(ctx, ev); err != nil {
		return err
	}
	tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "General admission", Quantity: o.Orders * o.Tickets,
		MinPerOrder: 1, MaxPerOrder: max(10, o.Tickets)}
	if err := o.DB.CreateTicketType(ctx, tt); err != nil {
		return err
	}
	q := &admit.Question{OrganizationID: org.ID, EventID: ev.ID, Label: "Company", Kind: "text"}
	if err := o.DB.CreateQuestion(ctx, q); err != nil {
		return err
	}
	co := checkout.New(checkout.Options{Ledger: o.DB, BaseURL: "http://admit.bench"})
	tag := strings.ToLower(admit.NewToken(4))
	next := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				h, err := co.Hold(ctx, ev, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: o.Tickets}}, checkout.Client{})
				if err != nil {
					errs <- err
					return
				}
				req := admit.OrderRequest{BuyerName: "Buyer " + strconv.Itoa(i), BuyerEmail: fmt.Sprintf("buyer%d-%s@bench.example.com", i, tag)}
				for j := range o.Tickets {
					req.Attendees = append(req.Attendees, admit.Attendee{Name: fmt.Sprintf("Attendee %d.%d", i, j),
						Answers: map[int64]string{q.ID: "Company " + strconv.Itoa(i)}})
				}
				if _, err := co.PlaceOrder(ctx, h.ID, req); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range o.Orders {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

func globalStatus(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, `SHOW GLOBAL STATUS WHERE Variable_name LIKE 'Com\_%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, rows.Err()
}

// selfCPU is this process's user and system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is another process's user and system CPU time so far, from
// /proc (zero where there is none).
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from its closing
	// parenthesis; utime and stime are the 14th and 15th fields.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// WriteTable prints the result for people.
func (r *ConfirmationsResult) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "admit bench confirmations: %d paid orders of %d ticket(s), %d side effects, worker with GOMAXPROCS=%d\n\n",
		r.Orders, r.Tickets, r.SideEffects, r.Procs)
	fmt.Fprintf(w, "  confirmations/s          %8.1f   (%d sent in %.2f s; every side effect done in %.2f s)\n",
		r.ConfirmationsSec, r.Orders, r.Seconds, r.AllDoneSeconds)
	fmt.Fprintf(w, "  MySQL statements/order   %8.2f  ", r.StatementsPer)
	for _, name := range statementCounters {
		if n, ok := r.Statements[name]; ok {
			fmt.Fprintf(w, " %s %d", strings.TrimPrefix(name, "Com_"), n)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  worker CPU ms/order      %8.2f   (%.2f s in all)\n", r.CPUPerOrder, r.CPUSeconds)
	if r.SESCPUSeconds > 0 {
		fmt.Fprintf(w, "  SES emulator CPU ms/order%8.2f   (%.2f s in all)\n", 1000*r.SESCPUSeconds/float64(r.Orders), r.SESCPUSeconds)
	}
}
