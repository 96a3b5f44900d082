package bench

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OutboxMark is where the outbox stood when a run started: MySQL's clock
// and the last row's id, so the run's confirmations are the later rows.
type OutboxMark struct {
	At time.Time
	ID int64
}

// MarkOutbox reads the outbox's mark now.
func MarkOutbox(ctx context.Context, db *sql.DB) (OutboxMark, error) {
	var m OutboxMark
	err := db.QueryRowContext(ctx, `SELECT NOW(6), COALESCE(MAX(id), 0) FROM outbox`).Scan(&m.At, &m.ID)
	if err != nil {
		return m, fmt.Errorf("reading the outbox mark: %w", err)
	}
	return m, nil
}

// WaitOutbox polls the outbox until the run's side effects (the
// organization's rows after the mark) are all done, or timeout passes. It
// reports how long the confirmation emails of the run's expected orders
// took, from the mark to the last one sent, and how many of the run's
// rows were left undone. Waiting for every row, not just the emails, lets
// the run's window cover all the worker did for its orders.
func WaitOutbox(ctx context.Context, db *sql.DB, orgID int64, mark OutboxMark, expected int, timeout time.Duration) (EmailResult, int) {
	res := EmailResult{Expected: expected}
	deadline := time.Now().Add(timeout)
	for {
		var undone, emails, sent int
		var last sql.NullTime
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) - COUNT(done_at), COALESCE(SUM(kind = 'email.order_confirmation'), 0),
			COALESCE(SUM(kind = 'email.order_confirmation' AND done_at IS NOT NULL), 0), MAX(IF(kind = 'email.order_confirmation', done_at, NULL))
			FROM outbox WHERE id > ? AND organization_id = ?`, mark.ID, orgID).Scan(&undone, &emails, &sent, &last)
		if err != nil {
			if ctx.Err() != nil {
				res.Note = "interrupted"
			} else {
				res.Note = "reading the outbox: " + err.Error()
			}
			return res, -1
		}
		res.Sent = sent
		if expected > 0 && sent >= expected {
			res.AllSent = true
			res.Seconds = last.Time.Sub(mark.At).Seconds()
			res.Note = ""
			if emails > expected {
				res.Note = fmt.Sprintf("%d confirmations recorded for %d orders", emails, expected)
			}
		}
		if (res.AllSent || expected == 0) && undone == 0 {
			if expected == 0 {
				res.Note = "no orders confirmed in this run"
			}
			return res, 0
		}
		if timeout <= 0 || time.Now().After(deadline) {
			switch {
			case expected == 0:
				res.Note = "no orders confirmed in this run"
			case timeout <= 0 && !res.AllSent:
				res.Note = fmt.Sprintf("not waited for (-email-timeout 0): %d of %d sent at the end of the run", sent, expected)
			case !res.AllSent:
				res.Note = fmt.Sprintf("not all sent: %d of %d within %s", sent, expected, timeout)
			}
			return res, undone
		}
		select {
		case <-ctx.Done():
			res.Note = "interrupted"
			return res, undone
		case <-time.After(250 * time.Millisecond):
		}
	}
}
