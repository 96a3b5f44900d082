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

// WaitConfirmations polls the outbox until the confirmation emails of the
// run's expected orders (the organization's rows of kind
// email.order_confirmation after the mark) are all sent, or timeout
// passes, and reports the time from the mark to the last one sent.
func WaitConfirmations(ctx context.Context, db *sql.DB, orgID int64, mark OutboxMark, expected int, timeout time.Duration) EmailResult {
	res := EmailResult{Expected: expected}
	if expected == 0 {
		res.Note = "no orders confirmed in this run"
		return res
	}
	if timeout <= 0 {
		res.Note = "not waited for (-email-timeout 0)"
		return res
	}
	deadline := time.Now().Add(timeout)
	for {
		var rows, done int
		var last sql.NullTime
		err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(done_at), MAX(done_at) FROM outbox
			WHERE id > ? AND organization_id = ? AND kind = 'email.order_confirmation'`, mark.ID, orgID).Scan(&rows, &done, &last)
		switch {
		case err != nil && ctx.Err() != nil:
			res.Note = "interrupted"
			return res
		case err != nil:
			res.Note = "reading the outbox: " + err.Error()
		default:
			res.Sent = done
			if done >= expected {
				res.AllSent = true
				res.Seconds = last.Time.Sub(mark.At).Seconds()
				if rows > expected {
					res.Note = fmt.Sprintf("%d confirmations recorded for %d orders", rows, expected)
				}
				return res
			}
		}
		if time.Now().After(deadline) {
			res.Note = fmt.Sprintf("not all sent: %d of %d within %s", res.Sent, expected, timeout)
			return res
		}
		select {
		case <-ctx.Done():
			res.Note = "interrupted"
			return res
		case <-time.After(250 * time.Millisecond):
		}
	}
}
