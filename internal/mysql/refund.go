package mysql

import (
	"context"
	"database/sql"
	"errors"
	"sort"

	"github.com/admithq/admit/internal/admit"
)

// RefundTickets voids the given valid tickets of a paid order of the
// organization, returns their capacity, and records the refund with its
// side effects (the provider refund, the order.refunded webhook, the
// buyer's email) in the outbox, in one transaction. Each ticket is voided
// by a guarded UPDATE, so refunding the same ticket twice (a double click,
// two organizers) refunds it once; with nothing left to refund the error is
// ECONFLICT. When every ticket is void the order becomes refunded.
func (d *DB) RefundTickets(ctx context.Context, orgID, orderID int64, ticketIDs []int64, byUser int64) (r *admit.Refund, err error) {
	defer wrap(&err, "DB.RefundTickets(%d, %d)", orgID, orderID)
	if len(ticketIDs) == 0 {
		return nil, admit.FieldError("tickets", "Choose at least one ticket to refund.")
	}
	ids := append([]int64(nil), ticketIDs...)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		r = &admit.Refund{OrderID: orderID}
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status, payment_provider FROM orders WHERE id = ? AND organization_id = ? FOR UPDATE`, orderID, orgID).
			Scan(&status, &r.Provider)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "Order not found.")
		} else if err != nil {
			return err
		}
		if status != string(admit.OrderPaid) {
			return admit.Errorf(admit.ECONFLICT, "Only paid orders can be refunded; this one is %s.", status)
		}
		released, voided, err := voidTickets(ctx, tx, r, orgID, orderID, ids)
		if err != nil {
			return err
		}
		if err := releaseCapacity(ctx, tx, r, released); err != nil {
			return err
		}
		return recordRefund(ctx, tx, r, orgID, orderID, byUser, voided)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// lineBucket is where a ticket's capacity returns to: the bucket its order
// line took it from.
type lineBucket struct {
	ticketTypeID int64
	bucket       int
}

// voidTickets voids those of ids that are valid tickets of the order, each
// by a guarded UPDATE, and adds them to r; released is what each bucket
// gets back.
func voidTickets(ctx context.Context, tx *sql.Tx, r *admit.Refund, orgID, orderID int64, ids []int64) (map[lineBucket]int, []admit.OutboxPayload, error) {
	released := map[lineBucket]int{}
	var voided []admit.OutboxPayload
	for _, id := range ids {
		var f lineBucket
		var price int64
		err := tx.QueryRowContext(ctx, `SELECT t.ticket_type_id, ol.bucket, ol.unit_price FROM tickets t
			JOIN order_lines ol ON ol.order_id = t.order_id AND ol.ticket_type_id = t.ticket_type_id
			WHERE t.id = ? AND t.order_id = ? AND t.organization_id = ? AND t.status = 'valid'`, id, orderID, orgID).Scan(&f.ticketTypeID, &f.bucket, &price)
		if errors.Is(err, sql.ErrNoRows) {
			continue // already refunded, or not this order's: nothing to do
		} else if err != nil {
			return nil, nil, err
		}
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'void' WHERE id = ? AND status = 'valid'`, id)
		if err != nil {
			return nil, nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			voided = append(voided, admit.WebhookEvent{Type: "ticket.voided", TicketID: id})
			released[f]++
			r.Amount += price
			r.Tickets++
		}
	}
	if r.Tickets == 0 {
		return nil, nil, admit.Errorf(admit.ECONFLICT, "These tickets are already refunded.")
	}
	return released, voided, nil
}

// releaseCapacity gives the buckets their tickets back, in ticket type
// order so that two refunds lock the rows in the same order.
func releaseCapacity(ctx context.Context, tx *sql.Tx, r *admit.Refund, released map[lineBucket]int) error {
	froms := make([]lineBucket, 0, len(released))
	for f := range released {
		froms = append(froms, f)
	}
	sort.Slice(froms, func(i, j int) bool { return froms[i].ticketTypeID < froms[j].ticketTypeID })
	for _, f := range froms {
		if _, err := tx.ExecContext(ctx, `UPDATE ticket_type_buckets SET sold = sold - ? WHERE ticket_type_id = ? AND bucket = ? AND sold >= ?`,
			released[f], f.ticketTypeID, f.bucket, released[f]); err != nil {
			return err
		}
		r.Released = append(r.Released, admit.HoldItem{TicketTypeID: f.ticketTypeID, Quantity: released[f], Bucket: f.bucket})
	}
	return nil
}

// recordRefund updates the order's refunded total (refunded once every
// ticket is void) and writes the refund row and its side effects.
func recordRefund(ctx context.Context, tx *sql.Tx, r *admit.Refund, orgID, orderID, byUser int64, voided []admit.OutboxPayload) error {
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_total = refunded_total + ?,
		status = IF((SELECT COUNT(*) FROM tickets WHERE order_id = ? AND status <> 'void') = 0, 'refunded', status)
		WHERE id = ?`, r.Amount, orderID, orderID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO refunds (organization_id, order_id, amount, tickets, provider, created_by)
		VALUES (?, ?, ?, ?, ?, NULLIF(?, 0))`, orgID, orderID, r.Amount, r.Tickets, r.Provider, byUser)
	if err != nil {
		return err
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if r.Amount > 0 && r.Provider != admit.PaymentOffline && r.Provider != admit.PaymentFree {
		if err := insertOutbox(ctx, tx, orgID, admit.RefundPayment{RefundID: r.ID}); err != nil {
			return err
		}
	}
	if err := insertOutbox(ctx, tx, orgID, admit.RefundEmail{OrderID: orderID, RefundID: r.ID}); err != nil {
		return err
	}
	return insertOutbox(ctx, tx, orgID, append(voided, admit.WebhookEvent{Type: "order.refunded", OrderID: orderID, RefundID: r.ID})...)
}

// FindRefund returns the refund with the payment it refunds, for the
// provider call.
func (d *DB) FindRefund(ctx context.Context, orgID, id int64) (r *admit.Refund, paymentRef string, err error) {
	defer wrap(&err, "DB.FindRefund(%d, %d)", orgID, id)
	r = &admit.Refund{ID: id}
	err = d.db.QueryRowContext(ctx, `SELECT r.order_id, r.amount, r.tickets, r.provider, r.provider_ref, o.payment_ref
		FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = ? AND r.organization_id = ?`, id, orgID).
		Scan(&r.OrderID, &r.Amount, &r.Tickets, &r.Provider, &r.ProviderRef, &paymentRef)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", admit.Errorf(admit.ENOTFOUND, "Refund not found.")
	}
	return r, paymentRef, err
}

// SetRefundProviderRef records the provider's id for a refund once made.
func (d *DB) SetRefundProviderRef(ctx context.Context, orgID, id int64, ref string) (err error) {
	defer wrap(&err, "DB.SetRefundProviderRef(%d, %d)", orgID, id)
	_, err = d.db.ExecContext(ctx, `UPDATE refunds SET provider_ref = ? WHERE id = ? AND organization_id = ?`, ref, id, orgID)
	return err
}

// ListRefunds returns the refunds of an order of the organization, oldest
// first.
func (d *DB) ListRefunds(ctx context.Context, orgID, orderID int64) (list []admit.Refund, err error) {
	defer wrap(&err, "DB.ListRefunds(%d, %d)", orgID, orderID)
	rows, err := d.db.QueryContext(ctx, `SELECT id, order_id, amount, tickets, provider, provider_ref FROM refunds
		WHERE organization_id = ? AND order_id = ? ORDER BY id`, orgID, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r admit.Refund
		if err := rows.Scan(&r.ID, &r.OrderID, &r.Amount, &r.Tickets, &r.Provider, &r.ProviderRef); err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	return list, rows.Err()
}
