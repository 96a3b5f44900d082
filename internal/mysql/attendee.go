package mysql

import (
	"context"
	"database/sql"
	"strings"

	"github.com/admithq/admit/internal/admit"
)

// ListAttendees returns one page of the tickets of the organization's
// event, every status, by attendee name, and the number that match.
func (d *DB) ListAttendees(ctx context.Context, orgID, eventID int64, f admit.AttendeeFilter) (list []admit.AttendeeTicket, total int, err error) {
	defer wrap(&err, "DB.ListAttendees(%d, %d)", orgID, eventID)
	where := `o.organization_id = ? AND o.event_id = ? AND t.organization_id = ?`
	args := []any{orgID, eventID, orgID}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := likeContains(q)
		where += ` AND (t.attendee_name LIKE ? OR t.attendee_email LIKE ? OR t.code = ? OR o.reference = ?)`
		args = append(args, like, like, admit.NormalizeTicketCode(q), strings.ToUpper(q))
	}
	where, args = attendeeFilterWhere(where, args, orgID, eventID, f)
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE `+where, args...).
		Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := d.db.QueryContext(ctx, `SELECT t.id, t.code, t.attendee_name, t.attendee_email, tt.name, t.status,
		o.id, o.reference, o.status, o.buyer_name, ci.at, COALESCE(ci.lists, '')
		FROM tickets t JOIN orders o ON o.id = t.order_id JOIN ticket_types tt ON tt.id = t.ticket_type_id
		LEFT JOIN (SELECT c.ticket_id, MAX(c.created_at) AS at, GROUP_CONCAT(DISTINCT l.name ORDER BY l.name SEPARATOR ', ') AS lists
			FROM checkins c JOIN checkin_lists l ON l.id = c.list_id
			WHERE c.organization_id = ? AND l.event_id = ? AND c.undone_at IS NULL GROUP BY c.ticket_id) ci ON ci.ticket_id = t.id
		WHERE `+where+` ORDER BY t.attendee_name, t.id LIMIT ? OFFSET ?`,
		append(append([]any{orgID, eventID}, args...), f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var a admit.AttendeeTicket
		var ticketStatus, orderStatus string
		var at sql.NullTime
		if err := rows.Scan(&a.TicketID, &a.Code, &a.AttendeeName, &a.AttendeeEmail, &a.TicketType, &ticketStatus,
			&a.OrderID, &a.OrderReference, &orderStatus, &a.BuyerName, &at, &a.CheckedInOn); err != nil {
			return nil, 0, err
		}
		a.TicketStatus, a.OrderStatus, a.CheckedInAt = admit.TicketStatus(ticketStatus), admit.OrderStatus(orderStatus), at.Time
		list = append(list, a)
	}
	return list, total, rows.Err()
}

// attendeeFilterWhere adds the filter's ticket type, answer and check-in
// state to the conditions on tickets t of orders o.
func attendeeFilterWhere(where string, args []any, orgID, eventID int64, f admit.AttendeeFilter) (string, []any) {
	if f.TicketTypeID != 0 {
		where += ` AND t.ticket_type_id = ?`
		args = append(args, f.TicketTypeID)
	}
	if f.QuestionID != 0 {
		where += ` AND EXISTS (SELECT 1 FROM answers a WHERE a.ticket_id = t.id AND a.organization_id = ? AND a.question_id = ?
			AND a.value <> '' AND a.value LIKE ?)`
		args = append(args, orgID, f.QuestionID, likeContains(strings.TrimSpace(f.Answer)))
	}
	checkedIn := `EXISTS (SELECT 1 FROM checkins c JOIN checkin_lists l ON l.id = c.list_id
		WHERE c.ticket_id = t.id AND c.organization_id = ? AND l.event_id = ? AND c.undone_at IS NULL)`
	switch f.CheckedIn {
	case "yes":
		where += ` AND ` + checkedIn
		args = append(args, orgID, eventID)
	case "no":
		where += ` AND NOT ` + checkedIn
		args = append(args, orgID, eventID)
	}
	return where, args
}

// QueueEventConfirmations queues the confirmation email again for every
// paid order of the organization's event with a ticket that f matches
// (its paging aside), once per order, in one statement; it returns how
// many were queued.
func (d *DB) QueueEventConfirmations(ctx context.Context, orgID, eventID int64, f admit.AttendeeFilter) (n int, err error) {
	defer wrap(&err, "DB.QueueEventConfirmations(%d, %d)", orgID, eventID)
	where := `o.organization_id = ? AND o.event_id = ? AND t.organization_id = ? AND o.status = 'paid'`
	args := []any{orgID, eventID, orgID}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := likeContains(q)
		where += ` AND (t.attendee_name LIKE ? OR t.attendee_email LIKE ? OR t.code = ? OR o.reference = ?)`
		args = append(args, like, like, admit.NormalizeTicketCode(q), strings.ToUpper(q))
	}
	where, args = attendeeFilterWhere(where, args, orgID, eventID, f)
	// The payload is admit.OrderEmail{OrderID, Resend: true} as the ledger
	// writes it: {"order_id":N,"resend":true}.
	res, err := d.db.ExecContext(ctx, `INSERT INTO outbox (organization_id, kind, payload)
		SELECT DISTINCT o.organization_id, ?, CONCAT('{"order_id":', o.id, ',"resend":true}')
		FROM tickets t JOIN orders o ON o.id = t.order_id WHERE `+where+` ORDER BY o.id`,
		append([]any{admit.KindOrderConfirmation}, args...)...)
	if err != nil {
		return 0, err
	}
	rows, err := res.RowsAffected()
	return int(rows), err
}

// likeContains is a LIKE pattern matching any text that contains s
// literally (its wildcards escaped).
func likeContains(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}
