// Package mysql stores the ledger in MySQL (MariaDB locally): organizations,
// events, ticket types, holds, orders, tickets, the outbox and idempotency
// keys. It is the only source of truth; every query is scoped by
// organization, and every change that must not race is one guarded
// statement whose rows-affected count is checked.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"

	"github.com/admithq/admit/db"
	"github.com/admithq/admit/internal/admit"
)

// DB is the storage handle shared by every surface.
type DB struct {
	db *sql.DB
	// batch is the pool of the combined hold and order transactions
	// (batch.go): its sessions run with autocommit off.
	batch *sql.DB
	dsn   string
	usage *usage // what the pool sent to MySQL (Counts)
	// defs caches what rarely changes (definitions.go).
	defs definitions
	// holds and orders combine concurrent requests into one transaction
	// (batch.go).
	holds  lanes[*holdRequest]
	orders lanes[*orderRequest]
	// instance names this process as the holder of idempotency keys it
	// claims, once KeepAlive has announced it (instance.go).
	instance string
	alive    atomic.Bool
	// dispatch, when set, takes the side effects of placed orders once
	// their batch has committed, to hand them to the queue (outbox.go).
	dispatch func([]admit.OutboxRow)
}

// NormalizeDSN parses dsn and sets what the storage layer relies on: times
// parsed into time.Time in UTC, the session time zone UTC (so NOW() and the
// stored values agree whatever the server's zone), READ COMMITTED for the
// whole session, and client-side interpolation, which halves round trips on
// the hot path.
func NormalizeDSN(dsn string) (*gomysql.Config, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	// READ COMMITTED, so inserts of concurrent checkouts do not block each
	// other on InnoDB's gap locks (REPEATABLE READ's), which is what
	// deadlocks holds and orders under load. Every decision that must not
	// race is a guarded UPDATE or a locking read, correct in either level.
	// Set once per connection, not per transaction: a SET before every
	// BEGIN is a statement and a round trip per transaction. (MariaDB's
	// name; MySQL 8 calls it transaction_isolation.)
	cfg.Params["tx_isolation"] = "'READ-COMMITTED'"
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	return cfg, nil
}

// Open returns a handle for dsn without connecting; Ping checks the server.
func Open(dsn string) (*DB, error) {
	cfg, err := NormalizeDSN(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	// Counting what each process sends is what lets the on-sale bench
	// split the server's work between app servers and workers.
	counting := newCountingConnector(conn, cfg)
	sqlDB := sql.OpenDB(counting)
	sqlDB.SetMaxOpenConns(64)
	sqlDB.SetMaxIdleConns(64)
	sqlDB.SetConnMaxLifetime(5 * time.Minute)
	sqlDB.SetConnMaxIdleTime(time.Minute)
	// The batch pool's sessions run with autocommit off (the first
	// statement of a batch opens its transaction), take several statements
	// per packet and wait for Galera's causality only where a batch asks
	// (script.go); the pool shares the counting: its statements are the
	// app's.
	batchCfg := cfg.Clone()
	batchCfg.Params["autocommit"] = "0"
	batchCfg.MultiStatements = true
	// Galera's causal waits are the batch's own choice (script.causalFirst).
	batchCfg.Params["wsrep_sync_wait"] = "0"
	batchConnector, err := gomysql.NewConnector(batchCfg)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	batchDB := sql.OpenDB(&countingConnector{inner: batchConnector, usage: counting.usage})
	// A batch runs per lane of an event at a time (batch.go); past this
	// many at once, lanes of other events wait for a session.
	batchDB.SetMaxOpenConns(32)
	batchDB.SetMaxIdleConns(32)
	batchDB.SetConnMaxLifetime(5 * time.Minute)
	batchDB.SetConnMaxIdleTime(time.Minute)
	d := &DB{db: sqlDB, batch: batchDB, dsn: cfg.FormatDSN(), usage: counting.usage, instance: newInstanceID()}
	d.holds.run = d.runHoldBatch
	d.orders.run = d.runOrderBatch
	d.SetBatchLanes(DefaultBatchLanes)
	return d, nil
}

// DefaultBatchLanes is how many hold batches of one event, and how many
// order batches, a server keeps in flight at once by default.
const DefaultBatchLanes = 2

// SetBatchLanes sets how many hold batches of one event, and how many order
// batches, this server keeps in flight at once (at least 1). Two let one
// batch's statements overlap another's commit. But every lane is a
// transaction in flight, and each transaction costs the database (more on
// a Galera cluster, which certifies and ships each one to every node) about
// as much as several orders: with more app servers, fewer lanes each keep
// the batches large. ops/README.md ("Capacity") gives the figures. Call it
// before serving.
func (d *DB) SetBatchLanes(n int) {
	n = max(n, 1)
	d.holds.perKey, d.orders.perKey = n, n
}

// Unbatched makes every hold and order placement of this handle run in a
// transaction of its own, as checkouts without batching do: for the
// on-sale bench's baselines, never for serving.
func (d *DB) Unbatched() {
	d.holds.alone, d.orders.alone = true, true
}

// SQL returns the underlying pool, for metrics and tests.
func (d *DB) SQL() *sql.DB { return d.db }

// BatchSQL returns the pool of the checkout's batches, for metrics and
// tests.
func (d *DB) BatchSQL() *sql.DB { return d.batch }

// Close closes the pool.
func (d *DB) Close() error { return errors.Join(d.batch.Close(), d.db.Close()) }

// Ping checks that the server answers within ctx.
func (d *DB) Ping(ctx context.Context) error {
	return d.db.PingContext(ctx)
}

func (d *DB) migrations() (*goose.Provider, error) {
	fsys, err := fs.Sub(db.Migrations, "migrations")
	if err != nil {
		return nil, err
	}
	// Migrations written on parallel branches may land out of order; each
	// is applied once whatever its number (they are independent by design:
	// expand first, contract later).
	return goose.NewProvider(goose.DialectMySQL, d.db, fsys, goose.WithAllowOutofOrder(true))
}

// Migrate applies every pending migration and returns how many ran.
func (d *DB) Migrate(ctx context.Context) (n int, err error) {
	defer wrap(&err, "DB.Migrate")
	p, err := d.migrations()
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	return len(results), explainMigrationError(err)
}

// explainMigrationError says what to do when a migration lost its
// connection: its change may be made without being recorded, and running
// it again as it is may fail on what it already made. On Galera a long
// DDL makes the writer's check fail, and HAProxy closes every session.
func explainMigrationError(err error) error {
	var pe *goose.PartialError
	if !errors.As(err, &pe) || !unreachable(err) {
		return err
	}
	return fmt.Errorf("%w (the connection to MySQL was lost while migration %d ran, so its change may be made but not recorded: "+
		"check the schema against db/migrations and `admit migrate status`, then run `admit migrate up` again; "+
		"on Galera, run long DDL as the README's \"Deploys without downtime\" says)", err, pe.Failed.Source.Version)
}

// MigrationState is one migration and whether it has been applied.
type MigrationState struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// MigrationStatus lists every known migration with its state.
func (d *DB) MigrationStatus(ctx context.Context) (states []MigrationState, err error) {
	defer wrap(&err, "DB.MigrationStatus")
	p, err := d.migrations()
	if err != nil {
		return nil, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range status {
		states = append(states, MigrationState{
			Version:   s.Source.Version,
			Name:      s.Source.Path,
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return states, nil
}

// wrap prefixes a non-nil error with the call site, keeping domain errors
// recognisable by errors.As.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

// inTx runs fn in a transaction, committing if it returns nil. A deadlock
// or lock wait timeout rolls the whole transaction back, so fn is run again
// a few times before the error is returned; fn must only write through tx.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := d.tryTx(ctx, fn)
		if !isRetryable(err) || attempt == 4 {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
	}
}

// tryTx runs fn in one transaction, at the session's READ COMMITTED level
// (NormalizeDSN).
func (d *DB) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isRetryable reports whether err is a deadlock (1213) or lock wait
// timeout (1205), after which InnoDB has rolled the transaction back.
func isRetryable(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// isDuplicate reports whether err is a unique-key violation.
func isDuplicate(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

// nullTime turns a zero time into SQL NULL.
func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()}
}
