package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
)

// A batch's transaction is as long as its round trips, not its rows: each
// statement waits for the app server, the proxies and MySQL to be woken in
// turn, and on the paired stack that is several processes and a few
// milliseconds each, for every statement of every batch. So the batch pool's
// sessions take several statements per packet (multiStatements, on that
// pool only; every value is still interpolated and escaped by the driver),
// and a batch sends what does not depend on an earlier answer together.
// Its last script ends with COMMIT: a guarded UPDATE is checked on the
// server (guard), so the app server need not see its count before it may
// commit. A hold batch is one round trip (two with the buyer caps on), an
// order batch three, COMMIT included.

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
	// commits: the last statement is COMMIT (commit).
	commits bool
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

// guard adds the check that the previous statement changed exactly want
// rows: if it did not, the script stops there and fails with errGuard, and
// nothing after it runs, COMMIT included. How a guarded UPDATE (capacity
// left, a hold still active) that found a row short stops its transaction
// without a round trip back to the app server. It is MariaDB's anonymous
// compound statement; ROW_COUNT() in it is the previous statement's.
func (s *script) guard(want int) {
	s.exec(fmt.Sprintf(`BEGIN NOT ATOMIC IF ROW_COUNT() <> %d THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '%s'; END IF; END`, want, guardMessage))
}

// guardMessage is the text of a failed guard's SIGNAL.
const guardMessage = "admit: guard: a guarded statement changed fewer rows than it must"

// errGuard is a script's error when a guard failed.
var errGuard = errors.New("a guarded statement changed fewer rows than it must")

// commit ends the script with COMMIT: the batch's last round trip. Once it
// is sent, whether the batch committed is known only from the answer
// (batchTx).
func (s *script) commit() {
	s.exec(`COMMIT`)
	s.commits = true
}

// causalFirst makes the script's first statement wait until this node has
// applied every write set the cluster committed before it (Galera's
// wsrep_sync_wait, set for that statement alone by SET STATEMENT ... FOR;
// a no-op on a server without Galera). The batch pool's
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
	sess, _ := tx.(*session)
	if sess == nil {
		if s.commits {
			return errors.New("a script that commits runs only in a batch's session")
		}
		return s.send(ctx, tx)
	}
	sess.committing = sess.committing || s.commits
	if err := s.send(ctx, tx); err != nil {
		return err
	}
	sess.committed = sess.committed || s.commits
	return nil
}

func (s *script) send(ctx context.Context, tx dbtx) error {
	stmts := s.stmts
	if s.causal {
		// For this statement only: nothing is left to turn off, even if
		// it fails.
		stmts = append([]string{`SET STATEMENT wsrep_sync_wait = 1 FOR ` + stmts[0]}, stmts[1:]...)
	}
	q := strings.Join(stmts, statementSeparator)
	if len(s.scans) == 0 {
		_, err := tx.ExecContext(ctx, q, s.args...)
		return guarded(err)
	}
	rows, err := tx.QueryContext(ctx, q, s.args...)
	if err != nil {
		return guarded(err)
	}
	defer rows.Close()
	for i, scan := range s.scans {
		if i > 0 && !rows.NextResultSet() {
			if err := rows.Err(); err != nil {
				return guarded(err)
			}
			return fmt.Errorf("a script of %d statements returned %d result sets, not %d", len(s.stmts), i, len(s.scans))
		}
		if err := scan(rows); err != nil {
			return err
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			return guarded(err)
		}
	}
	// The statements after the last that returns rows: their errors are
	// the script's too.
	for rows.NextResultSet() {
	}
	if err := rows.Err(); err != nil {
		return guarded(err)
	}
	return guarded(rows.Close())
}

// guarded marks a failed guard's error as errGuard, keeping the server's
// error in the chain: the server answered, and did not commit.
func guarded(err error) error {
	var me *gomysql.MySQLError
	if errors.As(err, &me) && me.Number == 1644 && me.Message == guardMessage {
		return fmt.Errorf("%w: %w", errGuard, err)
	}
	return err
}
