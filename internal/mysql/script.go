package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// A batch's transaction is as long as its round trips, not its rows: each
// statement waits for the app server, the proxies and MySQL to be woken in
// turn, and on the paired stack that is several processes and a few
// milliseconds each, for every statement of every batch. So the batch pool's
// sessions take several statements per packet (multiStatements, on that
// pool only; every value is still interpolated and escaped by the driver),
// and a batch sends what does not depend on an earlier answer together: a
// hold batch is three round trips, an order batch four, COMMIT included.

// script is statements sent to MySQL in one round trip. They run in order;
// the first that fails stops the rest, and its error is the script's. A
// statement that returns rows has a scan, called with the rows positioned
// before its first row.
type script struct {
	stmts []string
	args  []any
	scans []func(*sql.Rows) error
	// causal: the first statement waits for causality (causalFirst).
	causal bool
}

// exec adds a statement that returns no rows.
func (s *script) exec(query string, args ...any) {
	s.stmts = append(s.stmts, query)
	s.args = append(s.args, args...)
}

// query adds a statement whose rows scan reads.
func (s *script) query(scan func(*sql.Rows) error, query string, args ...any) {
	s.exec(query, args...)
	s.scans = append(s.scans, scan)
}

// rowCount adds the number of rows the previous statement changed, read
// into n: how a guarded UPDATE in a script is checked.
func (s *script) rowCount(n *int64) {
	s.query(func(rows *sql.Rows) error {
		if !rows.Next() {
			return errors.New("ROW_COUNT() returned no row")
		}
		return rows.Scan(n)
	}, `SELECT ROW_COUNT()`)
}

// causalFirst makes the script's first statement wait until this node has
// applied every write set the cluster committed before it (Galera's
// wsrep_sync_wait, a no-op on a server without Galera). The batch pool's
// sessions do not wait for any statement (db.go): each wait is a message
// around the whole cluster, and a batch that waited before every read
// spent most of its time waiting. Only a batch's first read needs it:
// right after the writer fails over, the new one may not yet have applied
// the last write sets of the old, and a buyer's fresh hold would be "not
// found". What the batch writes needs no wait: a write set that conflicts
// with one not yet applied fails certification, and the batch runs again.
func (s *script) causalFirst() { s.causal = true }

// empty reports whether the script has no statement.
func (s *script) empty() bool { return len(s.stmts) == 0 }

// statementSeparator joins a script's statements; the pool's statement
// counting splits on it (counting.go).
const statementSeparator = ";\n"

// run sends the script on tx (a batch session: see batchTx) and reads every
// result, so that an error of any statement, the last included, is
// returned.
func (s *script) run(ctx context.Context, tx dbtx) error {
	if s.empty() {
		return nil
	}
	stmts := s.stmts
	if s.causal {
		stmts = append([]string{`SET SESSION wsrep_sync_wait = 1`, stmts[0], `SET SESSION wsrep_sync_wait = 0`}, stmts[1:]...)
	}
	q := strings.Join(stmts, statementSeparator)
	if len(s.scans) == 0 {
		_, err := tx.ExecContext(ctx, q, s.args...)
		return err
	}
	rows, err := tx.QueryContext(ctx, q, s.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for i, scan := range s.scans {
		if i > 0 && !rows.NextResultSet() {
			if err := rows.Err(); err != nil {
				return err
			}
			return fmt.Errorf("a script of %d statements returned %d result sets, not %d", len(s.stmts), i, len(s.scans))
		}
		if err := scan(rows); err != nil {
			return err
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	// The statements after the last that returns rows: their errors are
	// the script's too.
	for rows.NextResultSet() {
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
