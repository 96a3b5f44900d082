package mysql

import (
	"context"
	"database/sql"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// QueuePaymentReminders queues the reminder email of up to limit unpaid
// offline orders whose payment is due within before, and returns how many
// it queued. Each order's reminder is queued once: the guarded UPDATE that
// marks it and its outbox row commit together, so sweeps that race, or run
// again after a crash, queue it no second time. An order whose whole time to
// pay is shorter than before gets none: the email with the instructions is
// still fresh.
func (d *DB) QueuePaymentReminders(ctx context.Context, before time.Duration, limit int) (queued int, err error) {
	defer wrap(&err, "DB.QueuePaymentReminders")
	micros := before.Microseconds()
	rows, err := d.db.QueryContext(ctx, `SELECT id, organization_id FROM orders
		WHERE status = 'pending' AND payment_provider = 'offline' AND payment_reminded_at IS NULL
		AND expires_at > NOW(6) AND expires_at <= NOW(6) + INTERVAL ? MICROSECOND
		AND created_at < expires_at - INTERVAL ? MICROSECOND LIMIT ?`, micros, micros, limit)
	if err != nil {
		return 0, err
	}
	type key struct{ id, org int64 }
	var due []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.org); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, k := range due {
		marked := false
		err := d.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE orders SET payment_reminded_at = NOW(6)
				WHERE id = ? AND organization_id = ? AND status = 'pending' AND payment_reminded_at IS NULL`, k.id, k.org)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // paid, cancelled or reminded meanwhile
			}
			marked = true
			return insertOutbox(ctx, tx, k.org, admit.OrderEmail{Kind: admit.KindPaymentReminder, OrderID: k.id})
		})
		if err != nil {
			return queued, err
		}
		if marked {
			queued++
		}
	}
	return queued, nil
}
