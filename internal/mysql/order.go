package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// PlaceOrder is what turns a hold into an order.
type PlaceOrder struct {
	HoldID  string
	Request admit.OrderRequest
	// PendingFor is how long a pending order waits for its payment before it
	// is cancelled; zero waits for ever (offline payment).
	PendingFor time.Duration
}

// PlaceOrder turns a live hold into an order in one transaction: the hold is
// locked and converted, its capacity moves from reserved to sold, lines and
// tickets are written at the server's prices. A free order is paid at once,
// with its tickets issued and its side effects in the outbox. A hold that was
// already converted returns its existing order with existing true: a double
// submit gets the first order, never a second.
func (d *DB) PlaceOrder(ctx context.Context, p PlaceOrder) (o *admit.Order, existing bool, err error) {
	defer wrap(&err, "DB.PlaceOrder")
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		var live bool
		var orgID, eventID, discountID int64
		var now time.Time
		err := tx.QueryRowContext(ctx, `SELECT organization_id, event_id, status, expires_at > NOW(6), COALESCE(discount_code_id, 0), NOW(6)
			FROM holds WHERE id = ? FOR UPDATE`, p.HoldID).
			Scan(&orgID, &eventID, &status, &live, &discountID, &now)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "This checkout does not exist. Start again from the event page.")
		} else if err != nil {
			return err
		}
		switch {
		case status == string(admit.HoldConverted):
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM orders WHERE hold_id = ?`, p.HoldID).Scan(&id); err != nil {
				return err
			}
			existing = true
			o, err = findOrder(ctx, tx, orgID, id)
			return err
		case status != string(admit.HoldActive) || !live:
			return admit.Errorf(admit.EEXPIRED, "Your hold on these tickets has expired. Please choose your tickets again.")
		}

		o = &admit.Order{OrganizationID: orgID, EventID: eventID, HoldID: p.HoldID, Status: admit.OrderPending,
			BuyerName: p.Request.BuyerName, BuyerEmail: p.Request.BuyerEmail, AccessToken: admit.NewToken(16)}
		rows, err := tx.QueryContext(ctx, `SELECT hi.ticket_type_id, tt.name, hi.quantity, hi.bucket, tt.price, e.currency
			FROM hold_items hi JOIN ticket_types tt ON tt.id = hi.ticket_type_id JOIN events e ON e.id = tt.event_id
			WHERE hi.hold_id = ? ORDER BY hi.ticket_type_id`, p.HoldID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l admit.OrderLine
			if err := rows.Scan(&l.TicketTypeID, &l.Name, &l.Quantity, &l.Bucket, &l.UnitPrice, &o.Currency); err != nil {
				rows.Close()
				return err
			}
			o.Lines = append(o.Lines, l)
			o.Total += l.UnitPrice * int64(l.Quantity)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if discountID != 0 {
			// The code's use is taken with a guarded statement, like
			// inventory: a code limited to 10 uses is used 10 times.
			if err := takeDiscountUse(ctx, tx, discountID); err != nil {
				return err
			}
			dc, err := findDiscountByID(ctx, tx, orgID, discountID)
			if err != nil {
				return err
			}
			o.DiscountCodeID = discountID
			o.Total = 0
			for i, l := range o.Lines {
				if dc.AppliesTo(l.TicketTypeID) {
					price := dc.Discounted(l.UnitPrice)
					o.DiscountTotal += (l.UnitPrice - price) * int64(l.Quantity)
					o.Lines[i].UnitPrice = price
				}
				o.Total += o.Lines[i].UnitPrice * int64(l.Quantity)
			}
		}
		tickets := 0
		for _, l := range o.Lines {
			tickets += l.Quantity
		}
		if len(p.Request.Attendees) != tickets {
			return admit.FieldError("attendees", "Give a name for each ticket.")
		}
		o.PaymentProvider = p.Request.PaymentMethod
		if o.Total == 0 {
			o.PaymentProvider = admit.PaymentFree
		} else if o.PaymentProvider == "" || o.PaymentProvider == admit.PaymentFree {
			return admit.FieldError("payment_method", "Choose how to pay.")
		}

		var expires, paidAt sql.NullTime
		o.CreatedAt = now
		// A free order is paid as it is placed: inserted paid, its tickets
		// valid, in the same transaction, with no transition to run after.
		free := o.Total == 0
		ticketStatus := admit.TicketPending
		if free {
			o.Status, o.PaidAt, ticketStatus = admit.OrderPaid, now, admit.TicketValid
			paidAt = sql.NullTime{Time: now, Valid: true}
		}
		if p.PendingFor > 0 && o.Total > 0 {
			expires = sql.NullTime{Time: now.Add(p.PendingFor), Valid: true}
			o.ExpiresAt = expires.Time
		}
		for attempt := 0; ; attempt++ {
			o.Reference = admit.NewReference()
			res, err := tx.ExecContext(ctx, `INSERT INTO orders (organization_id, event_id, hold_id, reference, access_token, status,
				buyer_name, buyer_email, total, discount_code_id, discount_total, currency, payment_provider, created_at, expires_at, paid_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?)`,
				orgID, eventID, p.HoldID, o.Reference, o.AccessToken, string(o.Status), o.BuyerName, o.BuyerEmail, o.Total, o.DiscountCodeID, o.DiscountTotal,
				o.Currency, o.PaymentProvider, now, expires, paidAt)
			if isDuplicate(err) && attempt < 5 && !strings.Contains(err.Error(), "orders_hold") {
				continue // reference collision: draw another
			} else if err != nil {
				return err
			}
			if o.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			break
		}
		lineArgs := make([]any, 0, 5*len(o.Lines))
		for _, l := range o.Lines {
			lineArgs = append(lineArgs, o.ID, l.TicketTypeID, l.Quantity, l.UnitPrice, l.Bucket)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price, bucket) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?),", len(o.Lines)), ","), lineArgs...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET status = 'converted' WHERE id = ? AND status = 'active'`, p.HoldID); err != nil {
			return err
		}
		i := 0
		for _, l := range o.Lines {
			for range l.Quantity {
				a := p.Request.Attendees[i]
				i++
				t := admit.Ticket{OrderID: o.ID, TicketTypeID: l.TicketTypeID, TicketType: l.Name, Code: admit.NewToken(12),
					AttendeeName: a.Name, AttendeeEmail: a.Email, Status: ticketStatus}
				res, err := tx.ExecContext(ctx, `INSERT INTO tickets (organization_id, order_id, ticket_type_id, code, attendee_name, attendee_email, status)
					VALUES (?, ?, ?, ?, ?, ?, ?)`, orgID, o.ID, t.TicketTypeID, t.Code, t.AttendeeName, t.AttendeeEmail, string(ticketStatus))
				if err != nil {
					return err
				}
				t.ID, _ = res.LastInsertId()
				for qid, v := range a.Answers {
					if v == "" {
						continue
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO answers (ticket_id, question_id, organization_id, value)
						SELECT ?, id, organization_id, ? FROM questions WHERE id = ? AND event_id = ?`, t.ID, v, qid, eventID); err != nil {
						return err
					}
				}
				o.Tickets = append(o.Tickets, t)
			}
		}
		effects := []string{"order.placed"}
		if free {
			effects = append(effects, "email.order_confirmation", "webhook.order.paid")
		}
		if err := insertOutboxRows(ctx, tx, orgID, effects, map[string]any{"order_id": o.ID}); err != nil {
			return err
		}
		return moveToSold(ctx, tx, o.Lines)
	})
	if err != nil {
		return nil, false, err
	}
	return o, existing, nil
}

// moveToSold moves the order's capacity from reserved to sold, in the
// buckets the hold took it from. The bucket rows are what every concurrent
// checkout contends for, so this is the transaction's last statement, in id
// order: their locks are held only until the commit, and no foreign key
// takes a shared lock on them first.
func moveToSold(ctx context.Context, tx *sql.Tx, lines []admit.OrderLine) error {
	byID := append([]admit.OrderLine(nil), lines...)
	sort.Slice(byID, func(i, j int) bool { return byID[i].TicketTypeID < byID[j].TicketTypeID })
	for _, l := range byID {
		res, err := tx.ExecContext(ctx, `UPDATE ticket_type_buckets SET reserved = reserved - ?, sold = sold + ?
			WHERE ticket_type_id = ? AND bucket = ? AND reserved >= ?`,
			l.Quantity, l.Quantity, l.TicketTypeID, l.Bucket, l.Quantity)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errors.New("ledger inconsistency: hold's reservation missing from its ticket type")
		}
	}
	return nil
}

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
	if err := insertOutbox(ctx, tx, o.OrganizationID, "email.order_confirmation", map[string]any{"order_id": o.ID}); err != nil {
		return err
	}
	return insertOutbox(ctx, tx, o.OrganizationID, "webhook.order.paid", map[string]any{"order_id": o.ID})
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
		rows, err := tx.QueryContext(ctx, `SELECT ticket_type_id, quantity, bucket FROM order_lines WHERE order_id = ? ORDER BY ticket_type_id`, orderID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it admit.HoldItem
			if err := rows.Scan(&it.TicketTypeID, &it.Quantity, &it.Bucket); err != nil {
				rows.Close()
				return err
			}
			released = append(released, it)
		}
		rows.Close()
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
		if err := insertOutbox(ctx, tx, orgID, "email.order_cancelled", map[string]any{"order_id": orderID}); err != nil {
			return err
		}
		return insertOutbox(ctx, tx, orgID, "webhook.order.cancelled", map[string]any{"order_id": orderID})
	})
	return released, err
}

const orderColumns = `id, organization_id, event_id, COALESCE(hold_id, ''), reference, access_token, status, buyer_name, buyer_email,
	total, refunded_total, COALESCE(discount_code_id, 0), discount_total, currency, payment_provider, payment_ref, created_at, paid_at, expires_at`

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
		var status string
		var paid, expires sql.NullTime
		if err := rows.Scan(&o.ID, &o.OrganizationID, &o.EventID, &o.HoldID, &o.Reference, &o.AccessToken, &status,
			&o.BuyerName, &o.BuyerEmail, &o.Total, &o.RefundedTotal, &o.DiscountCodeID, &o.DiscountTotal, &o.Currency, &o.PaymentProvider, &o.PaymentRef, &o.CreatedAt, &paid, &expires); err != nil {
			rows.Close()
			return nil, err
		}
		o.Status, o.PaidAt, o.ExpiresAt = admit.OrderStatus(status), paid.Time, expires.Time
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
	rows, err = q.QueryContext(ctx, `SELECT t.id, t.order_id, t.ticket_type_id, tt.name, t.code, t.attendee_name, t.attendee_email, t.status
		FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id WHERE t.order_id = ? ORDER BY t.id`, o.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	o.Tickets = nil
	for rows.Next() {
		var t admit.Ticket
		var status string
		if err := rows.Scan(&t.ID, &t.OrderID, &t.TicketTypeID, &t.TicketType, &t.Code, &t.AttendeeName, &t.AttendeeEmail, &status); err != nil {
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
	rows, err := q.QueryContext(ctx, `SELECT a.ticket_id, a.question_id, qu.label, a.value FROM answers a
		JOIN tickets t ON t.id = a.ticket_id JOIN questions qu ON qu.id = a.question_id
		WHERE t.order_id = ? ORDER BY qu.position, qu.id`, o.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	byTicket := map[int64]int{}
	for i, t := range o.Tickets {
		byTicket[t.ID] = i
	}
	for rows.Next() {
		var ticketID int64
		var a admit.TicketAnswer
		if err := rows.Scan(&ticketID, &a.QuestionID, &a.Label, &a.Value); err != nil {
			return err
		}
		if i, ok := byTicket[ticketID]; ok {
			o.Tickets[i].Answers = append(o.Tickets[i].Answers, a)
		}
	}
	return rows.Err()
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
		return insertOutbox(ctx, tx, orgID, "webhook.ticket.updated", map[string]any{"ticket_id": ticketID})
	})
}

// insertOutboxRows records several side effects with the same payload in
// one statement.
func insertOutboxRows(ctx context.Context, tx *sql.Tx, orgID int64, kinds []string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	args := make([]any, 0, 3*len(kinds))
	for _, k := range kinds {
		args = append(args, orgID, k, b)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (organization_id, kind, payload) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?),", len(kinds)), ","), args...)
	return err
}

// insertOutbox records a side effect in tx: it happens if and only if tx
// commits.
func insertOutbox(ctx context.Context, tx *sql.Tx, orgID int64, kind string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (organization_id, kind, payload) VALUES (?, ?, ?)`, orgID, kind, b)
	return err
}

// OrderFilter narrows ListOrders.
type OrderFilter struct {
	EventID int64
	Status  admit.OrderStatus // empty: any
	Query   string            // reference, buyer name or email
	Limit   int
	Offset  int
}

// ListOrders returns one page of the organization's orders, newest first,
// without lines or tickets, and the number of matching orders.
func (d *DB) ListOrders(ctx context.Context, orgID int64, f OrderFilter) (orders []*admit.Order, total int, err error) {
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
		var status string
		var paid, expires sql.NullTime
		if err := rows.Scan(&o.ID, &o.OrganizationID, &o.EventID, &o.HoldID, &o.Reference, &o.AccessToken, &status,
			&o.BuyerName, &o.BuyerEmail, &o.Total, &o.RefundedTotal, &o.DiscountCodeID, &o.DiscountTotal, &o.Currency, &o.PaymentProvider, &o.PaymentRef, &o.CreatedAt, &paid, &expires); err != nil {
			return nil, 0, err
		}
		o.Status, o.PaidAt, o.ExpiresAt = admit.OrderStatus(status), paid.Time, expires.Time
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
		return insertOutbox(ctx, tx, orgID, "email.order_confirmation", map[string]any{"order_id": orderID, "resend": true})
	})
}
