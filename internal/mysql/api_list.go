package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/admithq/admit/internal/admit"
)

// more trims a list read with limit+1 rows to limit, reporting whether
// there was another row: the caller then offers a next page.
func more[T any](list []T, limit int) ([]T, bool) {
	if len(list) > limit {
		return list[:limit], true
	}
	return list, false
}

// ListEventsPage returns a page of the organization's events, every status.
func (d *DB) ListEventsPage(ctx context.Context, orgID int64, p admit.Page) (events []*admit.Event, hasMore bool, err error) {
	defer wrap(&err, "DB.ListEventsPage(%d)", orgID)
	where, args := `organization_id = ? AND id > ?`, []any{orgID, p.After}
	if !p.ChangedSince.IsZero() {
		where += ` AND updated_at >= ?`
		args = append(args, p.ChangedSince.UTC())
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE `+where+` ORDER BY id LIMIT ?`, append(args, p.Size()+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, false, err
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	events, hasMore = more(events, p.Size())
	return events, hasMore, nil
}

// FindTicketTypeByID returns the organization's ticket type id, whatever
// its event, or ENOTFOUND.
func (d *DB) FindTicketTypeByID(ctx context.Context, orgID, id int64) (t *admit.TicketType, err error) {
	defer wrap(&err, "DB.FindTicketTypeByID(%d, %d)", orgID, id)
	t, err = scanTicketType(d.db.QueryRowContext(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE organization_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
	}
	return t, err
}

// ListOrdersPage returns a page of the organization's orders.
func (d *DB) ListOrdersPage(ctx context.Context, orgID int64, q admit.OrderQuery) (orders []*admit.OrderRecord, hasMore bool, err error) {
	defer wrap(&err, "DB.ListOrdersPage(%d)", orgID)
	where, args := `organization_id = ? AND id > ?`, []any{orgID, q.After}
	if q.EventID != 0 {
		where += ` AND event_id = ?`
		args = append(args, q.EventID)
	}
	if q.Status != "" {
		where += ` AND status = ?`
		args = append(args, string(q.Status))
	}
	if !q.ChangedSince.IsZero() {
		where += ` AND updated_at >= ?`
		args = append(args, q.ChangedSince.UTC())
	}
	orders, err = d.orderRecords(ctx, orgID, where+` ORDER BY id LIMIT ?`, append(args, q.Size()+1), q.WithLines, q.WithTickets)
	if err != nil {
		return nil, false, err
	}
	orders, hasMore = more(orders, q.Size())
	return orders, hasMore, nil
}

// FindOrderRecord returns the organization's order id, with its lines and
// tickets if asked for, or ENOTFOUND.
func (d *DB) FindOrderRecord(ctx context.Context, orgID, id int64, withLines, withTickets bool) (o *admit.OrderRecord, err error) {
	defer wrap(&err, "DB.FindOrderRecord(%d, %d)", orgID, id)
	list, err := d.orderRecords(ctx, orgID, `organization_id = ? AND id = ?`, []any{orgID, id}, withLines, withTickets)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, admit.Errorf(admit.ENOTFOUND, "Order not found.")
	}
	return list[0], nil
}

// orderRecords reads the orders matching where and loads their details for
// all of them at once: three queries whatever the page size.
func (d *DB) orderRecords(ctx context.Context, orgID int64, where string, args []any, withLines, withTickets bool) ([]*admit.OrderRecord, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	var list []*admit.OrderRecord
	byID := map[int64]*admit.OrderRecord{}
	for rows.Next() {
		o := &admit.OrderRecord{Order: &admit.Order{}}
		if err := scanOrder(rows, o.Order); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, o)
		byID[o.ID] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	ids, marks := idList(list, func(o *admit.OrderRecord) int64 { return o.ID })
	if withLines {
		rows, err := d.db.QueryContext(ctx, `SELECT ol.order_id, ol.ticket_type_id, tt.name, ol.quantity, ol.unit_price
			FROM order_lines ol JOIN ticket_types tt ON tt.id = ol.ticket_type_id
			WHERE tt.organization_id = ? AND ol.order_id IN (`+marks+`) ORDER BY ol.order_id, tt.position, tt.id`, append([]any{orgID}, ids...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var orderID int64
			var l admit.OrderLine
			if err := rows.Scan(&orderID, &l.TicketTypeID, &l.Name, &l.Quantity, &l.UnitPrice); err != nil {
				rows.Close()
				return nil, err
			}
			o := byID[orderID]
			o.Lines = append(o.Lines, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if withTickets {
		tickets, err := d.ticketRecords(ctx, orgID, `t.organization_id = ? AND t.order_id IN (`+marks+`) ORDER BY t.id`, append([]any{orgID}, ids...))
		if err != nil {
			return nil, err
		}
		for _, t := range tickets {
			o := byID[t.OrderID]
			o.TicketRecords = append(o.TicketRecords, t)
		}
	}
	return list, nil
}

// idList returns the ids of list as query arguments with their placeholders.
func idList[T any](list []T, id func(T) int64) ([]any, string) {
	ids := make([]any, len(list))
	for i, v := range list {
		ids[i] = id(v)
	}
	return ids, strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
}

const ticketRecordSelect = `SELECT t.id, t.order_id, t.ticket_type_id, tt.name, t.code, t.attendee_name, t.attendee_email, t.status,
	o.event_id, o.reference, o.status, t.created_at, t.updated_at
	FROM tickets t JOIN orders o ON o.id = t.order_id JOIN ticket_types tt ON tt.id = t.ticket_type_id`

// ticketRecords reads the tickets matching where (on the ticket alias t and
// the order alias o) with their answers.
func (d *DB) ticketRecords(ctx context.Context, orgID int64, where string, args []any) ([]admit.TicketRecord, error) {
	rows, err := d.db.QueryContext(ctx, ticketRecordSelect+` WHERE o.organization_id = t.organization_id AND `+where, args...)
	if err != nil {
		return nil, err
	}
	var list []admit.TicketRecord
	for rows.Next() {
		var t admit.TicketRecord
		var status, orderStatus string
		if err := rows.Scan(&t.ID, &t.OrderID, &t.TicketTypeID, &t.TicketType, &t.Code, &t.AttendeeName, &t.AttendeeEmail, &status,
			&t.EventID, &t.OrderReference, &orderStatus, &t.CreatedAt, &t.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		t.Status, t.OrderStatus = admit.TicketStatus(status), admit.OrderStatus(orderStatus)
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return list, err
	}
	ids, marks := idList(list, func(t admit.TicketRecord) int64 { return t.ID })
	byID := map[int64]int{}
	for i, t := range list {
		byID[t.ID] = i
	}
	answers, err := queryAnswers(ctx, d.db, `SELECT a.ticket_id, a.question_id, q.label, a.value, q.position FROM answers a
		JOIN questions q ON q.id = a.question_id
		WHERE a.organization_id = ? AND a.ticket_id IN (`+marks+`)`, append([]any{orgID}, ids...)...)
	if err != nil {
		return nil, err
	}
	for _, a := range answers {
		t := &list[byID[a.ticketID]]
		t.Answers = append(t.Answers, a.TicketAnswer)
	}
	return list, nil
}

// ListTicketsPage returns a page of the tickets of the organization's
// event, every status.
func (d *DB) ListTicketsPage(ctx context.Context, orgID, eventID int64, p admit.Page) (tickets []admit.TicketRecord, hasMore bool, err error) {
	defer wrap(&err, "DB.ListTicketsPage(%d, %d)", orgID, eventID)
	where, args := `t.organization_id = ? AND o.event_id = ? AND t.id > ?`, []any{orgID, eventID, p.After}
	if !p.ChangedSince.IsZero() {
		where += ` AND t.updated_at >= ?`
		args = append(args, p.ChangedSince.UTC())
	}
	tickets, err = d.ticketRecords(ctx, orgID, where+` ORDER BY t.id LIMIT ?`, append(args, p.Size()+1))
	if err != nil {
		return nil, false, err
	}
	tickets, hasMore = more(tickets, p.Size())
	return tickets, hasMore, nil
}

// FindTicketRecord returns the organization's ticket id, or ENOTFOUND.
func (d *DB) FindTicketRecord(ctx context.Context, orgID, id int64) (t *admit.TicketRecord, err error) {
	defer wrap(&err, "DB.FindTicketRecord(%d, %d)", orgID, id)
	list, err := d.ticketRecords(ctx, orgID, `t.organization_id = ? AND t.id = ?`, []any{orgID, id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, admit.Errorf(admit.ENOTFOUND, "Ticket not found.")
	}
	return &list[0], nil
}

// ListCheckInListTickets returns a page of the tickets the organization's
// check-in list admits by ticket type, every status (so a scanner can
// refuse a void ticket with the reason), with their check-in on the list.
// With p.ChangedSince, only tickets whose ticket, order or check-ins on
// this list changed since: a scanner's incremental sync.
func (d *DB) ListCheckInListTickets(ctx context.Context, orgID, listID int64, p admit.Page) (list []admit.ListTicket, hasMore bool, err error) {
	defer wrap(&err, "DB.ListCheckInListTickets(%d, %d)", orgID, listID)
	changed := `GREATEST(t.updated_at, o.updated_at, COALESCE(lc.changed_at, t.updated_at))`
	where, args := `l.id = ? AND l.organization_id = ? AND o.organization_id = l.organization_id AND o.event_id = l.event_id AND t.id > ?`,
		[]any{listID, orgID, p.After}
	if !p.ChangedSince.IsZero() {
		where += ` AND ` + changed + ` >= ?`
		args = append(args, p.ChangedSince.UTC())
	}
	rows, err := d.db.QueryContext(ctx, `SELECT t.id, t.code, t.attendee_name, t.attendee_email, t.ticket_type_id, tt.name, t.status,
		o.reference, o.status, COALESCE(c.id, 0), c.created_at, `+changed+`
		FROM checkin_lists l
		JOIN checkin_list_ticket_types lt ON lt.list_id = l.id
		JOIN tickets t ON t.ticket_type_id = lt.ticket_type_id AND t.organization_id = l.organization_id
		JOIN orders o ON o.id = t.order_id
		JOIN ticket_types tt ON tt.id = t.ticket_type_id
		LEFT JOIN checkins c ON c.list_id = l.id AND c.active_ticket = t.id
		LEFT JOIN (SELECT ticket_id, MAX(COALESCE(undone_at, created_at)) AS changed_at FROM checkins
			WHERE list_id = ? AND organization_id = ? GROUP BY ticket_id) lc ON lc.ticket_id = t.id
		WHERE `+where+` ORDER BY t.id LIMIT ?`, append(append([]any{listID, orgID}, args...), p.Size()+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var t admit.ListTicket
		var status, orderStatus string
		var at sql.NullTime
		if err := rows.Scan(&t.TicketID, &t.Code, &t.AttendeeName, &t.AttendeeEmail, &t.TicketTypeID, &t.TicketType, &status,
			&t.OrderReference, &orderStatus, &t.CheckInID, &at, &t.ChangedAt); err != nil {
			return nil, false, err
		}
		t.TicketStatus, t.OrderStatus, t.CheckedInAt = admit.TicketStatus(status), admit.OrderStatus(orderStatus), at.Time
		list = append(list, t)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	list, hasMore = more(list, p.Size())
	return list, hasMore, nil
}

// ListCheckInsPage returns a page of the check-ins of the organization's
// list, undone ones included, oldest first. With p.ChangedSince, only those
// made or undone since.
func (d *DB) ListCheckInsPage(ctx context.Context, orgID, listID int64, p admit.Page) (list []*admit.CheckIn, hasMore bool, err error) {
	defer wrap(&err, "DB.ListCheckInsPage(%d, %d)", orgID, listID)
	where, args := `c.organization_id = ? AND c.list_id = ? AND c.id > ?`, []any{orgID, listID, p.After}
	if !p.ChangedSince.IsZero() {
		where += ` AND (c.created_at >= ? OR c.undone_at >= ?)`
		args = append(args, p.ChangedSince.UTC(), p.ChangedSince.UTC())
	}
	rows, err := d.db.QueryContext(ctx, checkInSelect+` WHERE `+where+` ORDER BY c.id LIMIT ?`, append(args, p.Size()+1)...)
	if err != nil {
		return nil, false, err
	}
	if list, err = scanCheckIns(rows); err != nil {
		return nil, false, err
	}
	list, hasMore = more(list, p.Size())
	return list, hasMore, nil
}

// ListDiscountCodesPage returns a page of the discount codes of the
// organization's event.
func (d *DB) ListDiscountCodesPage(ctx context.Context, orgID, eventID int64, p admit.Page) (list []*admit.DiscountCode, hasMore bool, err error) {
	defer wrap(&err, "DB.ListDiscountCodesPage(%d, %d)", orgID, eventID)
	rows, err := d.db.QueryContext(ctx, `SELECT `+discountColumns+` FROM discount_codes
		WHERE organization_id = ? AND event_id = ? AND id > ? ORDER BY id LIMIT ?`, orgID, eventID, p.After, p.Size()+1)
	if err != nil {
		return nil, false, err
	}
	for rows.Next() {
		dc, err := scanDiscount(rows)
		if err != nil {
			rows.Close()
			return nil, false, err
		}
		list = append(list, dc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	list, hasMore = more(list, p.Size())
	if len(list) == 0 {
		return list, hasMore, nil
	}
	ids, marks := idList(list, func(dc *admit.DiscountCode) int64 { return dc.ID })
	byID := map[int64]*admit.DiscountCode{}
	for _, dc := range list {
		byID[dc.ID] = dc
	}
	rows, err = d.db.QueryContext(ctx, `SELECT dt.discount_code_id, dt.ticket_type_id FROM discount_code_ticket_types dt
		JOIN discount_codes dc ON dc.id = dt.discount_code_id
		WHERE dc.organization_id = ? AND dt.discount_code_id IN (`+marks+`) ORDER BY dt.discount_code_id, dt.ticket_type_id`,
		append([]any{orgID}, ids...)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var codeID, typeID int64
		if err := rows.Scan(&codeID, &typeID); err != nil {
			return nil, false, err
		}
		byID[codeID].TicketTypeIDs = append(byID[codeID].TicketTypeIDs, typeID)
	}
	return list, hasMore, rows.Err()
}
