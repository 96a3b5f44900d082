package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// insertHold records a hold taken alone (a waiting-list offer) and then
// takes capacity for items, ticket type by ticket type in id order, in tx.
// The bucket rows are what every concurrent hold contends for, so they are
// updated last: their locks are held only from the UPDATE to the commit.
func insertHold(ctx context.Context, tx *sql.Tx, h *admit.Hold, items []admit.HoldItem, ttl time.Duration, now time.Time) error {
	h.ExpiresAt = now.Add(ttl)
	h.ExpiresIn = ttl
	h.Status = admit.HoldActive
	if _, err := tx.ExecContext(ctx, `INSERT INTO holds (id, organization_id, event_id, client_key, client_ip, discount_code_id, status, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, NULLIF(?, 0), 'active', ?, ?)`,
		h.ID, h.OrganizationID, h.EventID, h.ClientKey, h.ClientIP, h.DiscountCodeID, h.ExpiresAt, now); err != nil {
		return err
	}
	for i := range items {
		items[i].Bucket = pickBucket(items[i].TicketTypeID)
	}
	q := `INSERT INTO hold_items (hold_id, ticket_type_id, quantity, bucket) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", len(items)), ",")
	args := make([]any, 0, 4*len(items))
	for _, it := range items {
		args = append(args, h.ID, it.TicketTypeID, it.Quantity, it.Bucket)
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return err
	}
	for i := range items {
		if err := take(ctx, tx, h, &items[i]); err != nil {
			return err
		}
	}
	return nil
}

// soldOut builds the ESOLDOUT error naming the ticket type and what is left.
func soldOut(ctx context.Context, tx dbtx, orgID, ticketTypeID int64, remaining int) error {
	s := admit.Shortage{TicketTypeID: ticketTypeID, Remaining: remaining}
	err := tx.QueryRowContext(ctx, `SELECT name FROM ticket_types WHERE id = ? AND organization_id = ?`, ticketTypeID, orgID).Scan(&s.Name)
	if err != nil {
		return err
	}
	return s.Err()
}

// FindHold returns the hold with its items and the time it has left by
// MySQL's clock, or ENOTFOUND: one statement.
func (d *DB) FindHold(ctx context.Context, id string) (h *admit.Hold, err error) {
	defer wrap(&err, "DB.FindHold")
	rows, err := d.db.QueryContext(ctx, `SELECT h.id, h.organization_id, h.event_id, h.client_key, h.client_ip, h.secret_hash, COALESCE(h.discount_code_id, 0),
		h.status, h.expires_at, TIMESTAMPDIFF(MICROSECOND, NOW(6), h.expires_at), h.created_at, hi.ticket_type_id, hi.quantity, hi.bucket
		FROM holds h JOIN hold_items hi ON hi.hold_id = h.id WHERE h.id = ? ORDER BY hi.ticket_type_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var leftMicros int64
		var it admit.HoldItem
		row := &admit.Hold{}
		if err := rows.Scan(&row.ID, &row.OrganizationID, &row.EventID, &row.ClientKey, &row.ClientIP, &row.SecretHash, &row.DiscountCodeID, &status,
			&row.ExpiresAt, &leftMicros, &row.CreatedAt, &it.TicketTypeID, &it.Quantity, &it.Bucket); err != nil {
			return nil, err
		}
		if h == nil {
			h = row
			h.Status = admit.HoldStatus(status)
			h.ExpiresIn = time.Duration(leftMicros) * time.Microsecond
		}
		h.Items = append(h.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, admit.Errorf(admit.ENOTFOUND, "This checkout does not exist. Start again from the event page.")
	}
	return h, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func holdItems(ctx context.Context, q queryer, holdID string) ([]admit.HoldItem, error) {
	return scanItems(ctx, q, `SELECT ticket_type_id, quantity, bucket FROM hold_items WHERE hold_id = ? ORDER BY ticket_type_id`, holdID)
}

// scanItems runs a query of (ticket type, quantity, bucket) rows.
func scanItems(ctx context.Context, q queryer, query string, args ...any) ([]admit.HoldItem, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []admit.HoldItem
	for rows.Next() {
		var it admit.HoldItem
		if err := rows.Scan(&it.TicketTypeID, &it.Quantity, &it.Bucket); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// ReleaseHold gives back the capacity of an active hold now (the buyer
// cancelled), returning its items; a hold that is no longer active releases
// nothing.
func (d *DB) ReleaseHold(ctx context.Context, id string) (items []admit.HoldItem, err error) {
	defer wrap(&err, "DB.ReleaseHold")
	return d.releaseHold(ctx, id)
}

// ReleaseExpiredHolds releases up to limit holds whose time is over and
// returns the capacity each ticket type got back, for the Redis gate. After
// an on-sale thousands may expire at once: they are released together, in
// five statements in one transaction. Holds another transaction has locked
// (an order being placed, another server's sweeper) are skipped: they are
// that transaction's.
func (d *DB) ReleaseExpiredHolds(ctx context.Context, limit int) (released []admit.HoldItem, err error) {
	defer wrap(&err, "DB.ReleaseExpiredHolds")
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		released = nil
		// The candidates are read without locks; then only they are
		// locked, by primary key. A locking scan of the expiry index
		// would lock its way through the live holds of an on-sale and
		// stall the checkouts inserting next to them.
		var candidates, ids []any
		if err := queryIDs(ctx, tx, `SELECT 0, id FROM holds WHERE status = 'active' AND expires_at <= NOW(6)
			ORDER BY expires_at LIMIT ?`, []any{limit}, func(_ int64, id string) { candidates = append(candidates, id) }); err != nil || len(candidates) == 0 {
			return err
		}
		if err := queryIDs(ctx, tx, `SELECT 0, id FROM holds WHERE id IN (`+placeholders(len(candidates))+`)
			AND status = 'active' AND expires_at <= NOW(6) FOR UPDATE SKIP LOCKED`, candidates, func(_ int64, id string) { ids = append(ids, id) }); err != nil || len(ids) == 0 {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE holds SET status = 'released', released_at = NOW(6) WHERE id IN (`+placeholders(len(ids))+`)
			AND status = 'active'`, ids...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); int(n) != len(ids) {
			return errors.New("ledger inconsistency: a locked expired hold could not be released")
		}
		if released, err = scanItems(ctx, tx, `SELECT ticket_type_id, quantity, bucket FROM hold_items WHERE hold_id IN (`+placeholders(len(ids))+`)`, ids...); err != nil {
			return err
		}
		return giveBack(ctx, tx, released)
	})
	if err != nil {
		return nil, err
	}
	return released, nil
}

// giveBack returns held capacity to the buckets it was taken from, one
// statement for all of them.
func giveBack(ctx context.Context, tx *sql.Tx, items []admit.HoldItem) error {
	if len(items) == 0 {
		return nil
	}
	takes := sumTakes(items)
	c := bucketCase(takes)
	res, err := tx.ExecContext(ctx, `UPDATE ticket_type_buckets SET reserved = reserved - `+c.amount+`
		WHERE (`+c.rows+`) AND reserved >= `+c.amount, append(append(append([]any{}, c.amountArgs...), c.rowArgs...), c.amountArgs...)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); int(n) != len(takes) {
		return errors.New("ledger inconsistency: a hold's reservation is missing from its bucket")
	}
	return nil
}

// releaseHold flips one active hold to released with a guarded UPDATE, so
// two sweepers (or a sweeper and a buyer) cannot both return its capacity.
func (d *DB) releaseHold(ctx context.Context, id string) (items []admit.HoldItem, err error) {
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		items = nil
		res, err := tx.ExecContext(ctx, `UPDATE holds SET status = 'released', released_at = NOW(6) WHERE id = ? AND status = 'active'`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if items, err = holdItems(ctx, tx, id); err != nil {
			return err
		}
		return giveBack(ctx, tx, items)
	})
	return items, err
}

// Availability returns quantity - reserved - sold for each of the ticket
// types, the figure the Redis gate mirrors.
func (d *DB) Availability(ctx context.Context, ticketTypeIDs []int64) (available map[int64]int, err error) {
	defer wrap(&err, "DB.Availability")
	available = map[int64]int{}
	if len(ticketTypeIDs) == 0 {
		return available, nil
	}
	args := make([]any, len(ticketTypeIDs))
	for i, id := range ticketTypeIDs {
		args[i] = id
	}
	rows, err := d.db.QueryContext(ctx, `SELECT ticket_type_id, GREATEST(SUM(quantity - reserved - sold), 0) FROM ticket_type_buckets
		WHERE ticket_type_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`) GROUP BY ticket_type_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		available[id] = n
	}
	return available, rows.Err()
}

// OnSaleAvailability returns the availability of every ticket type of every
// published event, for the reconciler.
func (d *DB) OnSaleAvailability(ctx context.Context) (available map[int64]int, err error) {
	defer wrap(&err, "DB.OnSaleAvailability")
	rows, err := d.db.QueryContext(ctx, `SELECT b.ticket_type_id, GREATEST(SUM(b.quantity - b.reserved - b.sold), 0)
		FROM ticket_types tt JOIN events e ON e.id = tt.event_id JOIN ticket_type_buckets b ON b.ticket_type_id = tt.id
		WHERE e.status = 'published' AND (tt.sales_end IS NULL OR tt.sales_end > NOW(6)) GROUP BY b.ticket_type_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	available = map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		available[id] = n
	}
	return available, rows.Err()
}
