package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// RecordBackup notes a stored backup object; recording one twice (a ship
// retried after the object was stored) is a no-op.
func (d *DB) RecordBackup(ctx context.Context, b admit.Backup) (err error) {
	defer wrap(&err, "DB.RecordBackup(%q)", b.Key)
	_, err = d.db.ExecContext(ctx, `INSERT IGNORE INTO backups (kind, object_key, size_bytes, source, binlog_file, binlog_pos, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, b.Kind, b.Key, b.Size, b.Source, b.BinlogFile, b.BinlogPos, b.StartedAt.UTC(), b.FinishedAt.UTC())
	return err
}

// LastBackup returns when the last backup of kind finished, or the zero
// time if there was none.
func (d *DB) LastBackup(ctx context.Context, kind string) (at time.Time, err error) {
	defer wrap(&err, "DB.LastBackup(%q)", kind)
	var t sql.NullTime
	err = d.db.QueryRowContext(ctx, `SELECT MAX(finished_at) FROM backups WHERE kind = ?`, kind).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) || !t.Valid {
		return time.Time{}, err
	}
	return t.Time, err
}

// ForgetBackups removes the records of pruned objects.
func (d *DB) ForgetBackups(ctx context.Context, keys []string) (err error) {
	defer wrap(&err, "DB.ForgetBackups(%d)", len(keys))
	for _, k := range keys {
		if _, err := d.db.ExecContext(ctx, `DELETE FROM backups WHERE object_key = ?`, k); err != nil {
			return err
		}
	}
	return nil
}

// CheckLedger checks a whole database, every organization at once, the way
// a restore must before anyone is let in: each ticket type's counters equal
// the tickets and holds behind them; every paid order has its tickets and
// no ticket lost its order; the outbox is consistent.
func (d *DB) CheckLedger(ctx context.Context) (r admit.LedgerReport, err error) {
	defer wrap(&err, "DB.CheckLedger")
	q := d.db
	counts := []struct {
		dst   *int
		query string
	}{
		{&r.Organizations, `SELECT COUNT(*) FROM organizations`},
		{&r.Orders, `SELECT COUNT(*) FROM orders`},
		{&r.PaidOrders, `SELECT COUNT(*) FROM orders WHERE status = 'paid'`},
		{&r.Tickets, `SELECT COUNT(*) FROM tickets`},
		{&r.TicketTypes, `SELECT COUNT(*) FROM ticket_types`},
		{&r.OutboxPending, `SELECT COUNT(*) FROM outbox WHERE done_at IS NULL`},
		{&r.OutboxDone, `SELECT COUNT(*) FROM outbox WHERE done_at IS NOT NULL`},
	}
	for _, c := range counts {
		if err := q.QueryRowContext(ctx, c.query).Scan(c.dst); err != nil {
			return r, err
		}
	}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }

	for _, check := range []func(context.Context, *sql.DB, func(string, ...any)) error{checkTicketTypes, checkOrderTickets, checkOutbox} {
		if err := check(ctx, q, problem); err != nil {
			return r, err
		}
	}
	return r, nil
}

// checkTicketTypes: each type's buckets add up to its quantity, its sold
// and reserved counters equal the tickets and active holds behind them,
// and none is oversold.
func checkTicketTypes(ctx context.Context, q *sql.DB, problem func(format string, args ...any)) error {
	rows, err := q.QueryContext(ctx, `SELECT tt.id, tt.quantity,
		COALESCE((SELECT SUM(b.quantity) FROM ticket_type_buckets b WHERE b.ticket_type_id = tt.id), 0),
		COALESCE((SELECT SUM(b.reserved) FROM ticket_type_buckets b WHERE b.ticket_type_id = tt.id), 0),
		COALESCE((SELECT SUM(b.sold) FROM ticket_type_buckets b WHERE b.ticket_type_id = tt.id), 0),
		(SELECT COUNT(*) FROM tickets t WHERE t.ticket_type_id = tt.id AND t.status IN ('pending', 'valid')),
		COALESCE((SELECT SUM(hi.quantity) FROM hold_items hi JOIN holds h ON h.id = hi.hold_id
			WHERE hi.ticket_type_id = tt.id AND h.status = 'active'), 0)
		FROM ticket_types tt ORDER BY tt.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var quantity, split, reserved, sold, issued, held int
		if err := rows.Scan(&id, &quantity, &split, &reserved, &sold, &issued, &held); err != nil {
			rows.Close()
			return err
		}
		if split != quantity {
			problem("ticket type %d: its buckets hold %d, its quantity is %d", id, split, quantity)
		}
		if sold != issued {
			problem("ticket type %d: %d sold, but %d tickets issued", id, sold, issued)
		}
		if reserved != held {
			problem("ticket type %d: %d reserved, but %d in active holds", id, reserved, held)
		}
		if issued+held > quantity {
			problem("ticket type %d oversold: %d issued + %d held > %d", id, issued, held, quantity)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

// checkOrderTickets: every paid order has its tickets, and no ticket or
// order line lost its order.
func checkOrderTickets(ctx context.Context, q *sql.DB, problem func(format string, args ...any)) error {
	// A paid order has a ticket for each place its lines bought.
	var short int
	var example sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), MIN(o.reference) FROM orders o
		WHERE o.status = 'paid' AND (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id) <
			(SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id)`).Scan(&short, &example); err != nil {
		return err
	}
	if short > 0 {
		problem("%d paid orders lack tickets (e.g. %s)", short, example.String)
	}
	var orphans int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets t LEFT JOIN orders o ON o.id = t.order_id WHERE o.id IS NULL`).Scan(&orphans); err != nil {
		return err
	}
	if orphans > 0 {
		problem("%d tickets belong to no order", orphans)
	}
	var lines int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines l LEFT JOIN orders o ON o.id = l.order_id WHERE o.id IS NULL`).Scan(&lines); err != nil {
		return err
	}
	if lines > 0 {
		problem("%d order lines belong to no order", lines)
	}
	return nil
}

// checkOutbox: the outbox is consistent with the orders.
func checkOutbox(ctx context.Context, q *sql.DB, problem func(format string, args ...any)) error {
	// The outbox: a side effect is done after it was written; each paid
	// order has its confirmation email, and each order email its order.
	var early int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE done_at < created_at`).Scan(&early); err != nil {
		return err
	}
	if early > 0 {
		problem("%d outbox rows are done before they were written", early)
	}
	var unconfirmed, lost int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders o LEFT JOIN
		(SELECT DISTINCT CAST(JSON_VALUE(payload, '$.order_id') AS UNSIGNED) AS order_id FROM outbox WHERE kind = ?) x
		ON x.order_id = o.id WHERE o.status = 'paid' AND x.order_id IS NULL`, string(admit.KindOrderConfirmation)).Scan(&unconfirmed); err != nil {
		return err
	}
	if unconfirmed > 0 {
		problem("%d paid orders have no confirmation email in the outbox", unconfirmed)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM
		(SELECT CAST(JSON_VALUE(payload, '$.order_id') AS UNSIGNED) AS order_id FROM outbox WHERE kind IN (?, ?, ?, ?)) x
		LEFT JOIN orders o ON o.id = x.order_id WHERE o.id IS NULL`, string(admit.KindOrderPlaced), string(admit.KindOrderConfirmation),
		string(admit.KindOrderCancelled), string(admit.KindOrderRefunded)).Scan(&lost); err != nil {
		return err
	}
	if lost > 0 {
		problem("%d order emails in the outbox name an order that is not there", lost)
	}
	return nil
}
