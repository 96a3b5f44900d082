package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/admithq/admit/internal/admit"
)

// markPaid is the guarded pending-to-paid transition with its effects:
// tickets issued and the confirmation email and order.paid webhook in the
// outbox, all in tx. It reports false if the order was not pending.
func markPaid(ctx context.Context, tx *sql.Tx, o *admit.Order, paymentRef string) error {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', paid_at = NOW(6), expires_at = NULL,
		payment_ref = IF(? = '', payment_ref, ?) WHERE id = ? AND status = 'pending'`, paymentRef, paymentRef, o.ID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errNotPending
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'valid' WHERE order_id = ? AND status = 'pending'`, o.ID); err != nil {
		return err
	}
	o.Status = admit.OrderPaid
	for i := range o.Tickets {
		o.Tickets[i].Status = admit.TicketValid
	}
	if err := insertOutbox(ctx, tx, o.OrganizationID, admit.OrderEmail{Kind: admit.KindOrderConfirmation, OrderID: o.ID}); err != nil {
		return err
	}
	return insertOutbox(ctx, tx, o.OrganizationID, admit.WebhookEvent{Type: "order.paid", OrderID: o.ID})
}

var errNotPending = errors.New("order is not pending")

// MarkOrderPaid records the payment of a pending order of the organization:
// the guarded transition, tickets issued, side effects queued, in one
// transaction. A duplicate notification for a paid order changes nothing and
// reports changed false; a cancelled order is ECONFLICT (a late payment the
// caller must refund or re-fill).
func (d *DB) MarkOrderPaid(ctx context.Context, orgID, orderID int64, paymentRef string) (o *admit.Order, changed bool, err error) {
	defer wrap(&err, "DB.MarkOrderPaid(%d, %d)", orgID, orderID)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if o, err = findOrder(ctx, tx, orgID, orderID); err != nil {
			return err
		}
		err = markPaid(ctx, tx, o, paymentRef)
		if errors.Is(err, errNotPending) {
			if o.Status == admit.OrderPaid {
				return nil
			}
			return admit.Errorf(admit.ECONFLICT, "Order %s is %s and cannot be paid.", o.Reference, o.Status)
		}
		changed = err == nil
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return o, changed, nil
}

// SetPaymentRef records the provider's payment id on a pending order.
func (d *DB) SetPaymentRef(ctx context.Context, orgID, orderID int64, ref string) (err error) {
	defer wrap(&err, "DB.SetPaymentRef(%d, %d)", orgID, orderID)
	_, err = d.db.ExecContext(ctx, `UPDATE orders SET payment_ref = ? WHERE id = ? AND organization_id = ? AND status = 'pending'`, ref, orderID, orgID)
	return err
}

// CancelExpiredOrders cancels up to limit pending orders whose payment did
// not arrive in time, voids their tickets and returns their capacity; it
// returns what each ticket type got back.
func (d *DB) CancelExpiredOrders(ctx context.Context, limit int) (released []admit.HoldItem, err error) {
	defer wrap(&err, "DB.CancelExpiredOrders")
	rows, err := d.db.QueryContext(ctx, `SELECT id, organization_id FROM orders WHERE status = 'pending' AND expires_at <= NOW(6) LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	type key struct{ id, org int64 }
	var ids []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.org); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, k)
	}
	rows.Close()
	for _, k := range ids {
		items, err := d.cancelOrder(ctx, k.org, k.id, true)
		if err != nil {
			return released, err
		}
		released = append(released, items...)
	}
	return released, nil
}

// CancelOrder cancels a pending order of the organization and returns its
// capacity.
func (d *DB) CancelOrder(ctx context.Context, orgID, orderID int64) (released []admit.HoldItem, err error) {
	defer wrap(&err, "DB.CancelOrder(%d, %d)", orgID, orderID)
	return d.cancelOrder(ctx, orgID, orderID, false)
}

func (d *DB) cancelOrder(ctx context.Context, orgID, orderID int64, onlyExpired bool) (released []admit.HoldItem, err error) {
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE orders SET status = 'cancelled' WHERE id = ? AND organization_id = ? AND status = 'pending'`
		if onlyExpired {
			q += ` AND expires_at <= NOW(6)`
		}
		res, err := tx.ExecContext(ctx, q, orderID, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if released, err = scanItems(ctx, tx, `SELECT ticket_type_id, quantity, bucket FROM order_lines WHERE order_id = ? ORDER BY ticket_type_id`, orderID); err != nil {
			return err
		}
		for _, it := range released {
			if _, err := tx.ExecContext(ctx, `UPDATE ticket_type_buckets SET sold = sold - ? WHERE ticket_type_id = ? AND bucket = ?`,
				it.Quantity, it.TicketTypeID, it.Bucket); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET status = 'void' WHERE order_id = ?`, orderID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE discount_codes SET used = used - 1
			WHERE used > 0 AND id = (SELECT discount_code_id FROM orders WHERE id = ?)`, orderID); err != nil {
			return err
		}
		if err := insertOutbox(ctx, tx, orgID, admit.OrderEmail{Kind: admit.KindOrderCancelled, OrderID: orderID}); err != nil {
			return err
		}
		return insertOutbox(ctx, tx, orgID, admit.WebhookEvent{Type: "order.cancelled", OrderID: orderID})
	})
	return released, err
}

const orderColumns = `id, organization_id, event_id, COALESCE(hold_id, ''), reference, access_token, status, buyer_name, buyer_email,
	total, refunded_total, COALESCE(discount_code_id, 0), discount_total, currency, payment_provider, payment_ref, created_at, paid_at, expires_at, updated_at`

// scanOrder reads one row of orderColumns into o.
func scanOrder(rows *sql.Rows, o *admit.Order) error {
	var status string
	var paid, expires sql.NullTime
	if err := rows.Scan(&o.ID, &o.OrganizationID, &o.EventID, &o.HoldID, &o.Reference, &o.AccessToken, &status,
		&o.BuyerName, &o.BuyerEmail, &o.Total, &o.RefundedTotal, &o.DiscountCodeID, &o.DiscountTotal, &o.Currency,
		&o.PaymentProvider, &o.PaymentRef, &o.CreatedAt, &paid, &expires, &o.UpdatedAt); err != nil {
		return err
	}
	o.Status, o.PaidAt, o.ExpiresAt = admit.OrderStatus(status), paid.Time, expires.Time
	return nil
}

func findOrder(ctx context.Context, q queryer, orgID, id int64) (*admit.Order, error) {
	return scanOrderWhere(ctx, q, `organization_id = ? AND id = ?`, orgID, id)
}

func scanOrderWhere(ctx context.Context, q queryer, where string, args ...any) (*admit.Order, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	o := &admit.Order{}
	found := false
	for rows.Next() {
		if err := scanOrder(rows, o); err != nil {
			rows.Close()
			return nil, err
		}
		found = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, admit.Errorf(admit.ENOTFOUND, "Order not found.")
	}
	if err := loadOrderDetails(ctx, q, o); err != nil {
		return nil, err
	}
	return o, nil
}

func loadOrderDetails(ctx context.Context, q queryer, o *admit.Order) error {
	rows, err := q.QueryContext(ctx, `SELECT ol.ticket_type_id, tt.name, ol.quantity, ol.unit_price
		FROM order_lines ol JOIN ticket_types tt ON tt.id = ol.ticket_type_id WHERE ol.order_id = ? ORDER BY tt.position, tt.id`, o.ID)
	if err != nil {
		return err
	}
	o.Lines = nil
	for rows.Next() {
		var l admit.OrderLine
		if err := rows.Scan(&l.TicketTypeID, &l.Name, &l.Quantity, &l.UnitPrice); err != nil {
			rows.Close()
			return err
		}
		o.Lines = append(o.Lines, l)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT t.id, t.order_id, t.ticket_type_id, tt.name, t.code, t.attendee_name, t.attendee_email, t.status,
		t.created_at, t.updated_at
		FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id WHERE t.order_id = ? ORDER BY t.id`, o.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	o.Tickets = nil
	for rows.Next() {
		var t admit.Ticket
		var status string
		if err := rows.Scan(&t.ID, &t.OrderID, &t.TicketTypeID, &t.TicketType, &t.Code, &t.AttendeeName, &t.AttendeeEmail, &status, &t.CreatedAt, &t.UpdatedAt); err != nil {
			return err
		}
		t.Status = admit.TicketStatus(status)
		o.Tickets = append(o.Tickets, t)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return loadAnswers(ctx, q, o)
}

func loadAnswers(ctx context.Context, q queryer, o *admit.Order) error {
	answers, err := queryAnswers(ctx, q, `SELECT a.ticket_id, a.question_id, qu.label, a.value, qu.position FROM answers a
		JOIN tickets t ON t.id = a.ticket_id JOIN questions qu ON qu.id = a.question_id
		WHERE a.organization_id = ? AND t.order_id = ?`, o.OrganizationID, o.ID)
	if err != nil {
		return err
	}
	byTicket := map[int64]int{}
	for i, t := range o.Tickets {
		byTicket[t.ID] = i
	}
	for _, a := range answers {
		if i, ok := byTicket[a.ticketID]; ok {
			o.Tickets[i].Answers = append(o.Tickets[i].Answers, a.TicketAnswer)
		}
	}
	return nil
}

// FindOrder returns the order of the organization with its lines and
// tickets, or ENOTFOUND.
func (d *DB) FindOrder(ctx context.Context, orgID, id int64) (o *admit.Order, err error) {
	defer wrap(&err, "DB.FindOrder(%d, %d)", orgID, id)
	return findOrder(ctx, d.db, orgID, id)
}

// FindOrderForBuyer returns the order with reference if token is its access
// token: the buyer's private link. Anything else is ENOTFOUND, so a wrong
// token reveals nothing.
func (d *DB) FindOrderForBuyer(ctx context.Context, reference, token string) (o *admit.Order, err error) {
	defer wrap(&err, "DB.FindOrderForBuyer(%q)", reference)
	if token == "" {
		return nil, admit.Errorf(admit.ENOTFOUND, "Order not found.")
	}
	return scanOrderWhere(ctx, d.db, `reference = ? AND access_token = ?`, reference, token)
}

// FindOrderByHold returns the order made from the hold, or ENOTFOUND.
func (d *DB) FindOrderByHold(ctx context.Context, holdID string) (o *admit.Order, err error) {
	defer wrap(&err, "DB.FindOrderByHold")
	return scanOrderWhere(ctx, d.db, `hold_id = ?`, holdID)
}

// RenameAttendee changes the attendee of one ticket of the order; the buyer
// does this from their private link.
func (d *DB) RenameAttendee(ctx context.Context, orgID, orderID, ticketID int64, a admit.Attendee) (err error) {
	defer wrap(&err, "DB.RenameAttendee(%d, %d)", orgID, orderID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET attendee_name = ?, attendee_email = ?
			WHERE id = ? AND order_id = ? AND organization_id = ? AND status <> 'void'`, a.Name, a.Email, ticketID, orderID, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM tickets WHERE id = ? AND order_id = ? AND organization_id = ?`, ticketID, orderID, orgID).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return admit.Errorf(admit.ENOTFOUND, "Ticket not found.")
			}
			return nil // unchanged values, or a void ticket: nothing to do
		}
		return insertOutbox(ctx, tx, orgID, admit.WebhookEvent{Type: "ticket.updated", TicketID: ticketID})
	})
}

// insertOutbox records a side effect in tx: it happens if and only if tx
// commits.
func insertOutbox(ctx context.Context, tx *sql.Tx, orgID int64, payloads ...admit.OutboxPayload) error {
	// One statement for all of them: a refund of many tickets writes a
	// ticket.voided row per ticket without a round trip each.
	if len(payloads) == 0 {
		return nil
	}
	q := make([]byte, 0, 64+len(payloads)*10)
	q = append(q, "INSERT INTO outbox (organization_id, kind, payload) VALUES "...)
	args := make([]any, 0, 3*len(payloads))
	for i, p := range payloads {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if i > 0 {
			q = append(q, ", "...)
		}
		q = append(q, "(?, ?, ?)"...)
		args = append(args, orgID, p.OutboxKind(), b)
	}
	_, err := tx.ExecContext(ctx, string(q), args...)
	return err
}

// ListOrders returns one page of the organization's orders, newest first,
// without lines or tickets, and the number of matching orders.
func (d *DB) ListOrders(ctx context.Context, orgID int64, f admit.OrderFilter) (orders []*admit.Order, total int, err error) {
	defer wrap(&err, "DB.ListOrders(%d)", orgID)
	where := `organization_id = ?`
	args := []any{orgID}
	if f.EventID != 0 {
		where += ` AND event_id = ?`
		args = append(args, f.EventID)
	}
	if f.Status != "" {
		where += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		where += ` AND (reference = ? OR buyer_email LIKE ? OR buyer_name LIKE ?)`
		args = append(args, strings.ToUpper(q), like, like)
	}
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		o := &admit.Order{}
		if err := scanOrder(rows, o); err != nil {
			return nil, 0, err
		}
		orders = append(orders, o)
	}
	return orders, total, rows.Err()
}

// QueueConfirmation queues the confirmation email of a paid order of the
// organization again (the buyer lost it).
func (d *DB) QueueConfirmation(ctx context.Context, orgID, orderID int64) (err error) {
	defer wrap(&err, "DB.QueueConfirmation(%d, %d)", orgID, orderID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = ? AND organization_id = ?`, orderID, orgID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "Order not found.")
		} else if err != nil {
			return err
		}
		if status != string(admit.OrderPaid) {
			return admit.Errorf(admit.ECONFLICT, "Only a paid order has a confirmation to send.")
		}
		return insertOutbox(ctx, tx, orgID, admit.OrderEmail{Kind: admit.KindOrderConfirmation, OrderID: orderID, Resend: true})
	})
}
