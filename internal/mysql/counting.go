package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync/atomic"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
)

// The statement kinds a pool counts, named as the server's Com_ status
// counters they correspond to (Com_select, Com_insert, ..., Com_set_option
// for "set"), so that a pool's share of the server's work can be read
// against SHOW GLOBAL STATUS. "other" is everything else (SHOW, DO, DDL).
const (
	kindSelect = iota
	kindInsert
	kindUpdate
	kindDelete
	kindReplace
	kindSet
	kindBegin
	kindCommit
	kindRollback
	kindOther
	kindCount
)

// StatementKinds lists the kinds of Counts.Statements in a fixed order.
var StatementKinds = [kindCount]string{"select", "insert", "update", "delete", "replace", "set", "begin", "commit", "rollback", "other"}

// The outcomes of Counts.Transactions. A commit or rollback that returned
// an error is "failed": whether the server committed is then unknown.
const (
	TxBegun      = "begun"
	TxCommitted  = "committed"
	TxRolledBack = "rolled_back"
	TxFailed     = "failed"
)

// usage is what one pool has sent to MySQL since it was opened. Counting a
// statement is one atomic add, so it can stay on in production.
type usage struct {
	statements  [kindCount]atomic.Int64
	begun       atomic.Int64
	committed   atomic.Int64
	rolledBack  atomic.Int64
	failed      atomic.Int64
	connections atomic.Int64
	// onConnect is what the driver sends by itself on each new
	// connection, before the pool sees it.
	onConnect [kindCount]int64
}

// Counts is a snapshot of what a pool has sent to MySQL since it was
// opened: statements by kind (StatementKinds), transactions by outcome,
// and connections opened.
type Counts struct {
	Statements   map[string]int64 `json:"statements"`
	Transactions map[string]int64 `json:"transactions"`
	Connections  int64            `json:"connections"`
}

func (u *usage) snapshot() Counts {
	c := Counts{Statements: make(map[string]int64, kindCount), Connections: u.connections.Load()}
	for k, name := range StatementKinds {
		c.Statements[name] = u.statements[k].Load()
	}
	c.Transactions = map[string]int64{TxBegun: u.begun.Load(), TxCommitted: u.committed.Load(),
		TxRolledBack: u.rolledBack.Load(), TxFailed: u.failed.Load()}
	return c
}

// Counts returns what the pool has sent to MySQL so far.
func (d *DB) Counts() Counts { return d.usage.snapshot() }

// connectStatements is what go-sql-driver/mysql sends on a new connection
// before handing it over: SELECT @@max_allowed_packet unless the DSN fixes
// it, SET NAMES when the DSN names a charset, and one SET for the DSN's
// session variables (time_zone here). The counting test checks these
// against the server's own counters.
func connectStatements(cfg *gomysql.Config) [kindCount]int64 {
	var n [kindCount]int64
	if cfg.MaxAllowedPacket == 0 {
		n[kindSelect]++
	}
	// The charsets are not exported; the DSN the config formats names them.
	if strings.Contains(cfg.FormatDSN(), "charset=") {
		n[kindSet]++
	}
	if len(cfg.Params) > 0 {
		n[kindSet]++
	}
	return n
}

// countingConnector opens connections that count what they send.
type countingConnector struct {
	inner driver.Connector
	usage *usage
}

func newCountingConnector(inner driver.Connector, cfg *gomysql.Config) *countingConnector {
	return &countingConnector{inner: inner, usage: &usage{onConnect: connectStatements(cfg)}}
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	c.usage.connections.Add(1)
	for k, n := range c.usage.onConnect {
		if n > 0 {
			c.usage.statements[k].Add(n)
		}
	}
	return &countingConn{inner: conn, usage: c.usage}, nil
}

func (c *countingConnector) Driver() driver.Driver { return c.inner.Driver() }

// countingConn forwards every interface go-sql-driver/mysql's connection
// implements, so database/sql behaves exactly as without it. A method
// that answers driver.ErrSkip sent nothing (database/sql falls back to
// preparing the statement, counted when the statement runs), so it is not
// counted.
type countingConn struct {
	inner driver.Conn
	usage *usage
}

var (
	_ driver.Conn               = (*countingConn)(nil)
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
)

func (c *countingConn) count(query string, err error) {
	if errors.Is(err, driver.ErrSkip) {
		return
	}
	// A batch's script is several statements in one packet (script.go),
	// each counted like the server counts it.
	for q := range strings.SplitSeq(query, statementSeparator) {
		c.usage.statements[statementKind(q)].Add(1)
	}
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var stmt driver.Stmt
	var err error
	if p, ok := c.inner.(driver.ConnPrepareContext); ok {
		stmt, err = p.PrepareContext(ctx, query)
	} else {
		stmt, err = c.inner.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &countingStmt{inner: stmt, kind: statementKind(query), usage: c.usage}, nil
}

func (c *countingConn) Close() error { return c.inner.Close() }

func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var tx driver.Tx
	var err error
	if b, ok := c.inner.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else if opts.Isolation != driver.IsolationLevel(sql.LevelDefault) || opts.ReadOnly {
		return nil, errors.New("mysql: the driver takes no transaction options")
	} else {
		tx, err = c.inner.Begin()
	}
	// The driver sets a non-default isolation level with its own statement
	// (SET TRANSACTION ISOLATION LEVEL) before START TRANSACTION.
	if opts.Isolation != driver.IsolationLevel(sql.LevelDefault) {
		c.usage.statements[kindSet].Add(1)
	}
	if err != nil {
		return nil, err
	}
	c.usage.statements[kindBegin].Add(1)
	c.usage.begun.Add(1)
	return &countingTx{inner: tx, usage: c.usage}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	c.count(query, err)
	return res, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	c.count(query, err)
	return rows, err
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip // database/sql's default conversion
}

// countingStmt is a server-side prepared statement (database/sql prepares
// when client-side interpolation cannot be used); it counts each run.
type countingStmt struct {
	inner driver.Stmt
	kind  int
	usage *usage
}

var (
	_ driver.StmtExecContext   = (*countingStmt)(nil)
	_ driver.StmtQueryContext  = (*countingStmt)(nil)
	_ driver.NamedValueChecker = (*countingStmt)(nil)
)

func (s *countingStmt) Close() error  { return s.inner.Close() }
func (s *countingStmt) NumInput() int { return s.inner.NumInput() }

func (s *countingStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.usage.statements[s.kind].Add(1)
	return s.inner.Exec(args)
}

func (s *countingStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.usage.statements[s.kind].Add(1)
	return s.inner.Query(args)
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.inner.(driver.StmtExecContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	s.usage.statements[s.kind].Add(1)
	return e.ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.inner.(driver.StmtQueryContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	s.usage.statements[s.kind].Add(1)
	return q.QueryContext(ctx, args)
}

func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// countingTx counts how a transaction ended.
type countingTx struct {
	inner driver.Tx
	usage *usage
}

func (t *countingTx) Commit() error {
	err := t.inner.Commit()
	t.usage.statements[kindCommit].Add(1)
	t.ended(err, &t.usage.committed)
	return err
}

func (t *countingTx) Rollback() error {
	err := t.inner.Rollback()
	t.usage.statements[kindRollback].Add(1)
	t.ended(err, &t.usage.rolledBack)
	return err
}

func (t *countingTx) ended(err error, outcome *atomic.Int64) {
	if err != nil {
		t.usage.failed.Add(1)
		return
	}
	outcome.Add(1)
}

// statementKind classifies a statement by its first keyword, after any
// leading blanks, comments and parentheses, as the server's Com_ counters
// do ("WITH ... SELECT" is a select).
func statementKind(query string) int {
	q := query
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "/*"):
			end := strings.Index(q, "*/")
			if end < 0 {
				return kindOther
			}
			q = q[end+2:]
			continue
		case strings.HasPrefix(q, "-- "), strings.HasPrefix(q, "#"):
			end := strings.IndexByte(q, '\n')
			if end < 0 {
				return kindOther
			}
			q = q[end+1:]
			continue
		}
		// SET STATEMENT var = value FOR stmt is stmt, to the server's
		// counters too.
		if len(q) > 14 && strings.EqualFold(q[:14], "SET STATEMENT ") {
			if i := strings.Index(strings.ToUpper(q), " FOR "); i >= 0 {
				q = q[i+5:]
				continue
			}
		}
		break
	}
	word := q
	if i := strings.IndexAny(q, " \t\r\n(;"); i >= 0 {
		word = q[:i]
	}
	switch strings.ToLower(word) {
	case "select", "with":
		return kindSelect
	case "insert":
		return kindInsert
	case "update":
		return kindUpdate
	case "delete":
		return kindDelete
	case "replace":
		return kindReplace
	case "set":
		return kindSet
	case "begin", "start":
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q[len(word):])), "NOT ATOMIC") {
			return kindOther // a compound statement (script.guard): Com_compound_sql
		}
		return kindBegin
	case "commit":
		return kindCommit
	case "rollback":
		return kindRollback
	}
	return kindOther
}

// NewStatementMetrics exposes what db has sent to MySQL as Prometheus
// counters: admit_mysql_statements_total{kind},
// admit_mysql_transactions_total{outcome} and
// admit_mysql_connections_opened_total. They are read from the pool's
// atomic counters at scrape time.
func NewStatementMetrics(db *DB) prometheus.Collector {
	return &statementMetrics{usage: db.usage, holds: &db.holds.stats, orders: &db.orders.stats,
		batches: prometheus.NewDesc("admit_checkout_batches_total",
			"Transactions that combined concurrent holds or order placements, by kind (holds, orders).", []string{"kind"}, nil),
		batched: prometheus.NewDesc("admit_checkout_batched_requests_total",
			"Holds or order placements those transactions carried: divided by admit_checkout_batches_total, the mean batch size.", []string{"kind"}, nil),
		attempts: prometheus.NewDesc("admit_checkout_batch_attempts_total",
			"Times those transactions were run: above admit_checkout_batches_total when batches ran again (a short bucket, a hold that changed, a deadlock).", []string{"kind"}, nil),
		statements: prometheus.NewDesc("admit_mysql_statements_total",
			"Statements this process sent to MySQL, by kind (as the server's Com_ counters: select, insert, update, delete, replace, set, begin, commit, rollback; other).",
			[]string{"kind"}, nil),
		transactions: prometheus.NewDesc("admit_mysql_transactions_total",
			"Transactions this process ran, by outcome (begun, committed, rolled_back; failed: the commit or rollback returned an error).",
			[]string{"outcome"}, nil),
		connections: prometheus.NewDesc("admit_mysql_connections_opened_total", "Connections this process opened to MySQL.", nil, nil),
	}
}

type statementMetrics struct {
	usage                                 *usage
	holds, orders                         *batchStats
	statements, transactions, connections *prometheus.Desc
	batches, batched, attempts            *prometheus.Desc
}

func (m *statementMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.statements
	ch <- m.transactions
	ch <- m.connections
	ch <- m.batches
	ch <- m.batched
	ch <- m.attempts
}

func (m *statementMetrics) Collect(ch chan<- prometheus.Metric) {
	c := m.usage.snapshot()
	for _, kind := range StatementKinds {
		ch <- prometheus.MustNewConstMetric(m.statements, prometheus.CounterValue, float64(c.Statements[kind]), kind)
	}
	for _, outcome := range []string{TxBegun, TxCommitted, TxRolledBack, TxFailed} {
		ch <- prometheus.MustNewConstMetric(m.transactions, prometheus.CounterValue, float64(c.Transactions[outcome]), outcome)
	}
	ch <- prometheus.MustNewConstMetric(m.connections, prometheus.CounterValue, float64(c.Connections))
	for kind, s := range map[string]*batchStats{"holds": m.holds, "orders": m.orders} {
		ch <- prometheus.MustNewConstMetric(m.batches, prometheus.CounterValue, float64(s.batches.Load()), kind)
		ch <- prometheus.MustNewConstMetric(m.batched, prometheus.CounterValue, float64(s.requests.Load()), kind)
		ch <- prometheus.MustNewConstMetric(m.attempts, prometheus.CounterValue, float64(s.attempts.Load()), kind)
	}
}
