package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// At an on-sale thousands of buyers want the same few rows at once. Run in
// a transaction of its own, each hold or order costs a dozen round trips
// and holds its row locks across all of them, so the database's CPU and the
// locks are the limit long before its commits are. Instead, each app server
// combines the holds (and, separately, the order placements) that arrive
// for an event while the previous combined transaction commits into the
// next one: one guarded UPDATE per bucket with the summed quantity,
// multi-row INSERTs, one COMMIT (and one fsync) for all of them. This is
// group commit without a timer: a lone buyer's request is a batch of one
// and starts at once; only requests that would have queued for the locks
// anyway wait, and they wait for one transaction instead of for each other.

// maxBatch caps how many requests one transaction carries: past a few
// dozen the statements grow long and a retry redoes more work, while the
// commit cost per request is already small.
const maxBatch = 64

// batchTimeout bounds one batch's transaction, whatever its members'
// contexts say: a member whose client went away is still part of a batch
// that must finish, and it finishes (or fails cleanly) for everyone.
const batchTimeout = 20 * time.Second

// batchMember is one request waiting in a lane.
type batchMember[R any] struct {
	req R
	// taken is set when a batch takes the member; a member whose context
	// ends before that withdraws instead.
	taken atomic.Bool
	done  chan struct{}
	err   error
}

// lane runs the batches of one kind for one event, one at a time.
type lane[R any] struct {
	mu      sync.Mutex
	waiting []*batchMember[R]
	running bool
	run     func(ctx context.Context, batch []*batchMember[R])
	stats   *batchStats
}

// batchStats counts what a kind of lanes ran, for the metrics: requests
// over batches is the mean batch size, attempts over batches how often a
// batch ran again (careful, or after a deadlock or a lost connection).
type batchStats struct {
	batches, requests, attempts atomic.Int64
}

// lanes holds a lane per event, created on first use.
type lanes[R any] struct {
	// perKey is how many lanes share the requests of one key (an event's
	// holds, all the orders), each with a batch in flight.
	perKey int
	stats  batchStats
	m      sync.Map // event id → *lane[R]
	run    func(ctx context.Context, batch []*batchMember[R])
	// alone runs every request in a transaction of its own, as
	// checkouts without batching do: the on-sale bench's baselines.
	alone bool
}

func (ls *lanes[R]) lane(eventID int64) *lane[R] {
	if l, ok := ls.m.Load(eventID); ok {
		return l.(*lane[R])
	}
	l, _ := ls.m.LoadOrStore(eventID, &lane[R]{run: ls.run, stats: &ls.stats})
	return l.(*lane[R])
}

// submit adds req to the event's lane and waits until a batch has run it
// (the batch sets the member's fields and err) or ctx ends before any
// batch took it.
func (ls *lanes[R]) submit(ctx context.Context, eventID int64, m *batchMember[R]) error {
	m.done = make(chan struct{})
	if ls.alone {
		m.taken.Store(true)
		ls.stats.batches.Add(1)
		ls.stats.requests.Add(1)
		ls.run(ctx, []*batchMember[R]{m})
		return m.err
	}
	l := ls.lane(eventID)
	l.mu.Lock()
	l.waiting = append(l.waiting, m)
	if !l.running {
		l.running = true
		go l.drain()
	}
	l.mu.Unlock()
	select {
	case <-m.done:
		return m.err
	case <-ctx.Done():
		if m.taken.CompareAndSwap(false, true) {
			return ctx.Err() // withdrawn: no batch will run it
		}
		<-m.done // already in a batch: its outcome is the truth
		return m.err
	}
}

// drain runs batches until nobody is waiting. What arrives while a batch
// runs forms the next one.
func (l *lane[R]) drain() {
	for {
		l.mu.Lock()
		var batch []*batchMember[R]
		rest := l.waiting[:0]
		for _, m := range l.waiting {
			switch {
			case len(batch) == maxBatch:
				rest = append(rest, m)
			case m.taken.CompareAndSwap(false, true):
				batch = append(batch, m)
			}
		}
		l.waiting = rest
		if len(batch) == 0 {
			l.waiting = nil
			l.running = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		l.stats.batches.Add(1)
		l.stats.requests.Add(int64(len(batch)))
		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		l.run(ctx, batch)
		cancel()
		for _, m := range batch {
			close(m.done)
		}
	}
}

// batchAttempts bounds how often a batch's transaction is run again after
// a failure no buyer caused (a deadlock, a lost connection, a Galera
// certification conflict, a random reference that collided).
const batchAttempts = 5

// batchFailoverWait is how long a batch keeps trying while MySQL does not
// answer at all (no connection, or a node outside the primary component):
// longer than a Galera writer's failover (0.8 to 1.5 s on the paired
// stack), so that its buyers see a pause rather than an error and a retry,
// and short enough that they are answered within a client's patience.
// Nothing of an attempt that got no session, or whose statements got no
// answer before COMMIT was sent, can have committed.
const batchFailoverWait = 5 * time.Second

// runBatch runs attempt in a transaction until it commits, running it
// again after a failure that may pass; it returns the last error if it
// never commits. Nothing is ever half-applied: a failed attempt is rolled
// back whole. When the answer to COMMIT is lost (the connection dropped
// while it ran), committed tells whether it happened; until that is known
// the batch is neither reported done nor failed, and a new attempt first
// asks again (it cannot double anything: the rows it writes carry the same
// keys, so at most one of the two attempts can commit).
func (d *DB) runBatch(ctx context.Context, stats *batchStats, attempt func(tx dbtx) error, committed func(ctx context.Context) (bool, error)) error {
	unsure := false
	began := time.Now()
	for try := 1; ; try++ {
		stats.attempts.Add(1)
		if unsure {
			var done bool
			err := settle(ctx, func(ctx context.Context) (err error) {
				done, err = committed(ctx)
				return err
			})
			if err == nil && done {
				return nil
			}
			unsure = err != nil
		}
		err, atCommit := d.batchTx(ctx, attempt)
		if err == nil {
			return nil
		}
		switch {
		case atCommit && !serverAnswered(err):
			unsure = true
		case errors.Is(err, errCareful):
			try-- // the attempt turned careful: not a failure
		case !transient(err) && !isDuplicate(err):
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		failingOver := unreachable(err) && time.Since(began) < batchFailoverWait
		if try >= batchAttempts && !failingOver {
			return err
		}
		if !errors.Is(err, errCareful) {
			wait := time.Duration(try*try) * 5 * time.Millisecond
			if failingOver {
				// Ask often: the first attempt after the new writer takes
				// its sessions ends the wait of every buyer in the batch.
				wait = min(wait, failoverPoll)
			}
			time.Sleep(wait)
		}
	}
}

// unreachable reports whether err says MySQL did not answer at all, as
// during a writer's failover: a refused or dropped connection, one closed
// before the server's greeting, or a Galera node not in the primary
// component (1047). A statement's own error, or a bug's, is not: it keeps
// the few quick attempts of batchAttempts.
func unreachable(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1047 || me.Number == 2006 || me.Number == 2013
	}
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne)
}

// dbtx is what a transaction's statements run on: a *sql.Tx, or a batch's
// session (batchTx), whose transaction its first statement opened.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// session is a batch's connection for one attempt. committing: a script
// that ends with COMMIT was sent; committed: its answer came back.
type session struct {
	*sql.Conn
	committing, committed bool
}

// batchTx runs attempt in one transaction; atCommit says the error is that
// of a script that carried COMMIT. The connection comes from the batch
// pool, whose sessions run with autocommit off: the first statement opens
// the transaction, so there is no START TRANSACTION round trip, and the
// attempt's last script ends with COMMIT (script.commit), so there is no
// round trip of its own for that either. Behind HAProxy and Galera each
// round trip is several processes woken in turn. An attempt that sent no
// such script is committed here.
func (d *DB) batchTx(ctx context.Context, attempt func(tx dbtx) error) (err error, atCommit bool) {
	conn, err := d.batch.Conn(ctx)
	if err != nil {
		return err, false
	}
	defer conn.Close()
	d.usage.begun.Add(1)
	sess := &session{Conn: conn}
	err = attempt(sess)
	if err == nil && !sess.committed {
		var end script
		end.commit()
		err = end.run(ctx, sess)
	}
	switch {
	case err == nil:
		d.usage.committed.Add(1)
		return nil, true
	case sess.committing && !serverAnswered(err):
		// COMMIT was sent and its answer lost: the transaction may have
		// committed. This session must not go back to the pool with a
		// transaction open either way.
		d.usage.failed.Add(1)
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return err, true
	default:
		// The server answered with an error, so nothing committed: a
		// statement failed (the rest, COMMIT included, did not run) or
		// COMMIT itself did (a Galera certification conflict).
		d.usage.rolledBack.Add(1)
		rollback(sess)
		return err, sess.committing
	}
}

// rollback ends the session's transaction, even when the batch's context
// is what ended, or discards the session if it cannot: a session of the
// batch pool never returns to it inside a transaction.
func rollback(sess *session) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := sess.ExecContext(ctx, "ROLLBACK"); err != nil {
		_ = sess.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// serverAnswered reports whether err came from the server, which then did
// not commit; anything else (a dropped connection) leaves it unknown.
func serverAnswered(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me)
}
