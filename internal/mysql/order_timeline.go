package mysql

import (
	"context"
	"database/sql"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// AddOrderNote adds the user's note to the organization's order, or
// reports ENOTFOUND for another organization's order.
func (d *DB) AddOrderNote(ctx context.Context, orgID, orderID, userID int64, body string) (err error) {
	defer wrap(&err, "DB.AddOrderNote(%d, %d)", orgID, orderID)
	res, err := d.db.ExecContext(ctx, `INSERT INTO order_notes (organization_id, order_id, user_id, body)
		SELECT organization_id, id, NULLIF(?, 0), ? FROM orders WHERE id = ? AND organization_id = ?`, userID, body, orderID, orgID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return admit.Errorf(admit.ENOTFOUND, "Order not found.")
	}
	return nil
}

// orderEmailKinds name the emails about an order, as the timeline says them.
var orderEmailKinds = map[admit.OutboxKind]string{
	admit.KindOrderPlaced:       "Payment instructions emailed",
	admit.KindOrderConfirmation: "Confirmation emailed",
	admit.KindOrderCancelled:    "Cancellation emailed",
	admit.KindOrderRefunded:     "Refund emailed",
}

// OrderTimeline returns what happened to the organization's order o, oldest
// first, from the rows that record it: the order itself, its emails in the
// outbox (once sent), refunds, check-ins of its tickets, organizers'
// actions in the audit log and their notes.
func (d *DB) OrderTimeline(ctx context.Context, orgID int64, o *admit.Order) (events []admit.OrderEvent, err error) {
	defer wrap(&err, "DB.OrderTimeline(%d, %d)", orgID, o.ID)
	events = append(events, admit.OrderEvent{At: o.CreatedAt, What: "Placed", Detail: o.BuyerName + " <" + o.BuyerEmail + ">"})
	if !o.PaidAt.IsZero() {
		events = append(events, admit.OrderEvent{At: o.PaidAt, What: "Paid", Detail: o.PaymentProvider})
	}
	add := func(query string, args []any, scan func(*sql.Rows) (admit.OrderEvent, error)) error {
		more, err := d.timelineRows(ctx, query, args, scan)
		events = append(events, more...)
		return err
	}
	id := strconv.FormatInt(o.ID, 10)
	// The outbox has no index for an order's rows (and gets none: it is
	// the hot path's table); this scan of the organization's rows is the
	// price of the timeline, paid only when an organizer opens an order.
	if err := add(`SELECT kind, done_at FROM outbox WHERE organization_id = ? AND done_at IS NOT NULL AND kind IN (?, ?, ?, ?)
		AND (payload LIKE ? OR payload LIKE ?)`,
		[]any{orgID, admit.KindOrderPlaced, admit.KindOrderConfirmation, admit.KindOrderCancelled, admit.KindOrderRefunded,
			`{"order_id":` + id + `}`, `{"order_id":` + id + `,%`},
		func(r *sql.Rows) (admit.OrderEvent, error) {
			var kind string
			var at time.Time
			err := r.Scan(&kind, &at)
			return admit.OrderEvent{At: at, What: orderEmailKinds[admit.OutboxKind(kind)], Detail: "to " + o.BuyerEmail}, err
		}); err != nil {
		return nil, err
	}
	if err := add(`SELECT r.created_at, r.amount, r.tickets, COALESCE(NULLIF(u.name, ''), u.email, '') FROM refunds r
		LEFT JOIN users u ON u.id = r.created_by WHERE r.organization_id = ? AND r.order_id = ?`, []any{orgID, o.ID},
		func(r *sql.Rows) (admit.OrderEvent, error) {
			var e admit.OrderEvent
			var amount int64
			var tickets int
			err := r.Scan(&e.At, &amount, &tickets, &e.By)
			e.What, e.Detail = "Refunded", admit.RefundAuditDetail(tickets, amount, o.Currency, "")
			return e, err
		}); err != nil {
		return nil, err
	}
	if err := add(`SELECT c.created_at, t.attendee_name, l.name, COALESCE(NULLIF(u.name, ''), u.email, ''), c.undone_at FROM checkins c
		JOIN tickets t ON t.id = c.ticket_id JOIN checkin_lists l ON l.id = c.list_id LEFT JOIN users u ON u.id = c.checked_in_by
		WHERE t.order_id = ? AND c.organization_id = ?`, []any{o.ID, orgID},
		func(r *sql.Rows) (admit.OrderEvent, error) {
			var e admit.OrderEvent
			var name, list string
			var undone sql.NullTime
			err := r.Scan(&e.At, &name, &list, &e.By, &undone)
			e.What, e.Detail = "Checked in", name+" at "+list
			if undone.Valid {
				e.Detail += " (undone later)"
			}
			return e, err
		}); err != nil {
		return nil, err
	}
	if err := add(`SELECT a.created_at, a.action, a.detail, COALESCE(NULLIF(u.name, ''), u.email, '') FROM audit_log a
		LEFT JOIN users u ON u.id = a.user_id WHERE a.organization_id = ? AND a.object = ? AND a.created_at >= ?
		AND a.action IN ('order.marked_paid', 'order.cancelled', 'order.confirmation_resent', 'order.refunded')`,
		[]any{orgID, o.Reference, o.CreatedAt.Add(-time.Second)},
		scanAuditEvent); err != nil {
		return nil, err
	}
	if err := add(`SELECT n.created_at, n.body, COALESCE(NULLIF(u.name, ''), u.email, '') FROM order_notes n
		LEFT JOIN users u ON u.id = n.user_id WHERE n.organization_id = ? AND n.order_id = ? ORDER BY n.id`, []any{orgID, o.ID},
		func(r *sql.Rows) (admit.OrderEvent, error) {
			e := admit.OrderEvent{What: "Note"}
			err := r.Scan(&e.At, &e.Detail, &e.By)
			return e, err
		}); err != nil {
		return nil, err
	}
	events = slices.DeleteFunc(events, func(e admit.OrderEvent) bool { return e.What == "" })
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	return events, nil
}

// scanAuditEvent reads an organizer's action on an order from the audit log.
func scanAuditEvent(r *sql.Rows) (admit.OrderEvent, error) {
	var e admit.OrderEvent
	err := r.Scan(&e.At, &e.What, &e.Detail, &e.By)
	if e.What == "order.refunded" {
		// The refund itself comes from its row; the log adds why.
		_, reason, ok := strings.Cut(e.Detail, "; reason: ")
		e.What, e.Detail = "", ""
		if ok {
			e.What, e.Detail = "Refund reason", reason
		}
		return e, err
	}
	e.What = auditWords[e.What]
	return e, err
}

// timelineRows reads the rows of query as timeline events.
func (d *DB) timelineRows(ctx context.Context, query string, args []any, scan func(*sql.Rows) (admit.OrderEvent, error)) ([]admit.OrderEvent, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []admit.OrderEvent
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// auditWords say an organizer's action on an order in the timeline.
var auditWords = map[string]string{
	"order.marked_paid":         "Marked paid",
	"order.cancelled":           "Cancelled",
	"order.confirmation_resent": "Confirmation resent",
}
