package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// DueOutbox returns up to limit side effects that are not done and are due:
// never handed to the queue; handed over more than redeliverAfter ago and
// not done (the task may have been lost with Redis); or, when the last
// attempt failed, once its backoff has passed: retryBase after the first
// failure, doubling with each, at most an hour. A poisoned row is thus
// tried less and less often, and never holds up the others.
func (d *DB) DueOutbox(ctx context.Context, redeliverAfter, retryBase time.Duration, limit int) (rows []admit.OutboxRow, err error) {
	defer wrap(&err, "DB.DueOutbox")
	// Each branch is one index range, and only the due rows are read: the
	// rows never handed over (outbox_pending), the ones handed over
	// redeliverAfter ago that never failed, and the failed ones past their
	// backoff (outbox_retry: a pending row has attempts > 0 only if an
	// attempt failed; success marks it done). A confirmation backlog, all
	// handed over seconds ago, is none of these and is never read; as one
	// condition, the optimizer scanned the whole table for ORDER BY id.
	const cols = `SELECT id, COALESCE(organization_id, 0) AS organization_id, kind FROM outbox `
	r, err := d.db.QueryContext(ctx, `(`+cols+`FORCE INDEX (outbox_pending)
			WHERE done_at IS NULL AND enqueued_at IS NULL ORDER BY id LIMIT ?)
		UNION ALL (`+cols+`FORCE INDEX (outbox_retry)
			WHERE done_at IS NULL AND attempts = 0 AND enqueued_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY id LIMIT ?)
		UNION ALL (`+cols+`FORCE INDEX (outbox_retry)
			WHERE done_at IS NULL AND attempts > 0 AND enqueued_at < NOW(6) - INTERVAL ? MICROSECOND
				AND enqueued_at < NOW(6) - INTERVAL LEAST(?, ? << LEAST(attempts - 1, 20)) MICROSECOND ORDER BY id LIMIT ?)
		ORDER BY id LIMIT ?`, limit, redeliverAfter.Microseconds(), limit,
		retryBase.Microseconds(), time.Hour.Microseconds(), retryBase.Microseconds(), limit, limit)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for r.Next() {
		var row admit.OutboxRow
		if err := r.Scan(&row.ID, &row.OrganizationID, &row.Kind); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, r.Err()
}

// DispatchOutbox makes this server hand the side effects of the orders it
// places to the queue itself: fn gets their rows once their batch has
// committed, and must not block (jobs.Dispatcher). The rows are written as
// handed over, so the relay leaves them alone unless they are not done
// RedeliverAfter later. Call it before serving.
func (d *DB) DispatchOutbox(fn func([]admit.OutboxRow)) { d.dispatch = fn }

// ReleaseOutbox gives rows this server could not hand to the queue back to
// the relay, which hands them over at its next round.
func (d *DB) ReleaseOutbox(ctx context.Context, ids []int64) (err error) {
	defer wrap(&err, "DB.ReleaseOutbox(%d rows)", len(ids))
	if len(ids) == 0 {
		return nil
	}
	args, marks := idList(ids, func(id int64) int64 { return id })
	_, err = d.db.ExecContext(ctx, `UPDATE outbox SET enqueued_at = NULL WHERE done_at IS NULL AND last_error = '' AND id IN (`+marks+`)`, args...)
	return err
}

// MarkOutboxEnqueued records that the rows were handed to the queue now.
func (d *DB) MarkOutboxEnqueued(ctx context.Context, ids []int64) (err error) {
	defer wrap(&err, "DB.MarkOutboxEnqueued")
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err = d.db.ExecContext(ctx, `UPDATE outbox SET enqueued_at = NOW(6) WHERE done_at IS NULL AND id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
	return err
}

// FindOutbox returns the side effect with id, or ENOTFOUND.
func (d *DB) FindOutbox(ctx context.Context, id int64) (row *admit.OutboxRow, err error) {
	defer wrap(&err, "DB.FindOutbox(%d)", id)
	row = &admit.OutboxRow{ID: id}
	var done sql.NullTime
	err = d.db.QueryRowContext(ctx, `SELECT COALESCE(organization_id, 0), kind, payload, created_at, attempts, done_at, result FROM outbox WHERE id = ?`, id).
		Scan(&row.OrganizationID, &row.Kind, &row.Payload, &row.CreatedAt, &row.Attempts, &done, &row.Result)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Outbox row not found.")
	}
	row.Done = done.Valid
	return row, err
}

// CompleteOutbox records that the side effect happened, with what it
// produced. It reports false if it was already recorded (another worker did
// it): the caller's effect was a duplicate.
func (d *DB) CompleteOutbox(ctx context.Context, id int64, result string) (first bool, err error) {
	defer wrap(&err, "DB.CompleteOutbox(%d)", id)
	// The effect has happened: recording it rides out a failover rather
	// than leave the row to be done again.
	err = settle(ctx, func(ctx context.Context) error {
		res, err := d.db.ExecContext(ctx, `UPDATE outbox SET done_at = NOW(6), result = ?, attempts = attempts + 1, last_error = ''
			WHERE id = ? AND done_at IS NULL`, truncate(result, 255), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = first || n == 1
		return err
	})
	return first, err
}

// FailOutbox records a failed attempt; the queue retries it.
func (d *DB) FailOutbox(ctx context.Context, id int64, cause string) (err error) {
	defer wrap(&err, "DB.FailOutbox(%d)", id)
	_, err = d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND done_at IS NULL`, truncate(cause, 1000), id)
	return err
}

// OutboxStats returns the figures of undone side effects.
func (d *DB) OutboxStats(ctx context.Context) (s admit.OutboxStats, err error) {
	defer wrap(&err, "DB.OutboxStats")
	var oldest sql.NullInt64
	err = d.db.QueryRowContext(ctx, `SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)), COALESCE(SUM(last_error <> ''), 0)
		FROM outbox WHERE done_at IS NULL`).Scan(&s.Pending, &oldest, &s.FailingCount)
	s.OldestAge = time.Duration(oldest.Int64) * time.Microsecond
	return s, err
}

// FindInvitationEmail returns the invitation of the organization for its
// email, or ENOTFOUND (revoked invitations are deleted or expired).
func (d *DB) FindInvitationEmail(ctx context.Context, orgID, id int64) (e *admit.InvitationEmail, err error) {
	defer wrap(&err, "DB.FindInvitationEmail(%d, %d)", orgID, id)
	e = &admit.InvitationEmail{}
	err = d.db.QueryRowContext(ctx, `SELECT i.email, o.name, i.role, COALESCE(u.name, '') FROM invitations i
		JOIN organizations o ON o.id = i.organization_id LEFT JOIN users u ON u.id = i.invited_by
		WHERE i.organization_id = ? AND i.id = ?`, orgID, id).Scan(&e.Email, &e.Organization, &e.Role, &e.InvitedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Invitation not found.")
	}
	return e, err
}
