package mysql

import (
	"context"
	"strings"

	"github.com/admithq/admit/internal/admit"
)

// The worker performs side effects in batches: these read what a batch
// needs with one statement per table, whatever its size, and record what it
// came to with at most two.

// FindOutboxRows returns the side effects among ids that exist, in id
// order, with their payloads. For a webhook event, Subscribed tells whether
// an enabled endpoint of its organization wanted it when the row was read:
// the fan-out of an organization without endpoints costs no other query.
func (d *DB) FindOutboxRows(ctx context.Context, ids []int64) (rows []admit.OutboxRow, err error) {
	defer wrap(&err, "DB.FindOutboxRows(%d rows)", len(ids))
	if len(ids) == 0 {
		return nil, nil
	}
	args, marks := idList(ids, func(id int64) int64 { return id })
	// SUBSTRING(kind, 9) is the event type of a kind "webhook.TYPE".
	r, err := d.db.QueryContext(ctx, `SELECT o.id, COALESCE(o.organization_id, 0), o.kind, o.payload, o.created_at, o.attempts,
		o.done_at IS NOT NULL, o.result,
		o.kind LIKE 'webhook.%' AND EXISTS (SELECT 1 FROM webhook_endpoints e
			WHERE e.organization_id = o.organization_id AND e.enabled AND FIND_IN_SET(SUBSTRING(o.kind, 9), e.event_types))
		FROM outbox o WHERE o.id IN (`+marks+`) ORDER BY o.id`, args...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for r.Next() {
		var row admit.OutboxRow
		if err := r.Scan(&row.ID, &row.OrganizationID, &row.Kind, &row.Payload, &row.CreatedAt, &row.Attempts, &row.Done, &row.Result,
			&row.Subscribed); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, r.Err()
}

// FindOrders returns the orders among keys that exist in their
// organization, without their lines and tickets (LoadOrderDetails adds
// them), in one query.
func (d *DB) FindOrders(ctx context.Context, keys []admit.OrderRef) (orders map[admit.OrderRef]*admit.Order, err error) {
	defer wrap(&err, "DB.FindOrders(%d orders)", len(keys))
	orders = map[admit.OrderRef]*admit.Order{}
	if len(keys) == 0 {
		return orders, nil
	}
	orgs := map[int64]bool{}
	want := map[admit.OrderRef]bool{}
	for _, k := range keys {
		orgs[k.OrganizationID] = true
		want[k] = true
	}
	ids, idMarks := idList(keys, func(k admit.OrderRef) int64 { return k.ID })
	orgArgs, orgMarks := idList(mapKeys(orgs), func(id int64) int64 { return id })
	rows, err := d.db.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE organization_id IN (`+orgMarks+`) AND id IN (`+idMarks+`)`,
		append(orgArgs, ids...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		o := &admit.Order{}
		if err := scanOrder(rows, o); err != nil {
			return nil, err
		}
		// Two organizations asked for in one batch must not see each
		// other's orders by naming their ids.
		if key := (admit.OrderRef{OrganizationID: o.OrganizationID, ID: o.ID}); want[key] {
			orders[key] = o
		}
	}
	return orders, rows.Err()
}

// LoadOrderDetails fills in the lines, tickets and answers of orders, as
// FindOrder returns them, with three queries for all of them.
func (d *DB) LoadOrderDetails(ctx context.Context, orders []*admit.Order) (err error) {
	defer wrap(&err, "DB.LoadOrderDetails(%d orders)", len(orders))
	if len(orders) == 0 {
		return nil
	}
	byID := map[int64]*admit.Order{}
	orgs := map[int64]bool{}
	for _, o := range orders {
		o.Lines, o.Tickets = nil, nil
		byID[o.ID] = o
		orgs[o.OrganizationID] = true
	}
	q := &detailsQuery{byID: byID}
	q.ids, q.marks = idList(orders, func(o *admit.Order) int64 { return o.ID })
	q.orgArgs, q.orgMarks = idList(mapKeys(orgs), func(id int64) int64 { return id })
	if err := d.loadOrderLines(ctx, q); err != nil {
		return err
	}
	tickets, ticketIDs, err := d.loadOrderTickets(ctx, q)
	if err != nil || len(ticketIDs) == 0 {
		return err
	}
	return d.loadTicketAnswers(ctx, q, tickets, ticketIDs)
}

// detailsQuery is what LoadOrderDetails's three queries share: the orders
// by id, and their ids and organizations as IN lists.
type detailsQuery struct {
	byID            map[int64]*admit.Order
	ids, orgArgs    []any
	marks, orgMarks string
}

// ticketAt is where a ticket sits in its order's Tickets.
type ticketAt struct {
	order *admit.Order
	index int
}

// loadOrderLines fills in the orders' lines.
func (d *DB) loadOrderLines(ctx context.Context, q *detailsQuery) error {
	byID, orgArgs, orgMarks, ids, marks := q.byID, q.orgArgs, q.orgMarks, q.ids, q.marks
	rows, err := d.db.QueryContext(ctx, `SELECT ol.order_id, ol.ticket_type_id, tt.name, ol.quantity, ol.unit_price
		FROM order_lines ol JOIN ticket_types tt ON tt.id = ol.ticket_type_id
		WHERE tt.organization_id IN (`+orgMarks+`) AND ol.order_id IN (`+marks+`) ORDER BY ol.order_id, tt.position, tt.id`,
		append(orgArgs, ids...)...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var orderID int64
		var l admit.OrderLine
		if err := rows.Scan(&orderID, &l.TicketTypeID, &l.Name, &l.Quantity, &l.UnitPrice); err != nil {
			rows.Close()
			return err
		}
		if o := byID[orderID]; o != nil {
			o.Lines = append(o.Lines, l)
		}
	}
	rows.Close()
	return rows.Err()
}

// loadOrderTickets fills in the orders' tickets, and says where each sits
// for its answers.
func (d *DB) loadOrderTickets(ctx context.Context, q *detailsQuery) (map[int64]ticketAt, []int64, error) {
	byID, orgArgs, orgMarks, ids, marks := q.byID, q.orgArgs, q.orgMarks, q.ids, q.marks
	rows, err := d.db.QueryContext(ctx, `SELECT t.id, t.order_id, t.ticket_type_id, tt.name, t.code, t.attendee_name, t.attendee_email, t.status,
		t.created_at, t.updated_at
		FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id
		WHERE t.organization_id IN (`+orgMarks+`) AND t.order_id IN (`+marks+`) ORDER BY t.id`, append(orgArgs, ids...)...)
	if err != nil {
		return nil, nil, err
	}
	tickets := map[int64]ticketAt{}
	var ticketIDs []int64
	for rows.Next() {
		var t admit.Ticket
		var status string
		if err := rows.Scan(&t.ID, &t.OrderID, &t.TicketTypeID, &t.TicketType, &t.Code, &t.AttendeeName, &t.AttendeeEmail, &status, &t.CreatedAt, &t.UpdatedAt); err != nil {
			rows.Close()
			return nil, nil, err
		}
		t.Status = admit.TicketStatus(status)
		if o := byID[t.OrderID]; o != nil {
			o.Tickets = append(o.Tickets, t)
			tickets[t.ID] = ticketAt{o, len(o.Tickets) - 1}
			ticketIDs = append(ticketIDs, t.ID)
		}
	}
	rows.Close()
	return tickets, ticketIDs, rows.Err()
}

// loadTicketAnswers fills in the answers of the tickets.
func (d *DB) loadTicketAnswers(ctx context.Context, q *detailsQuery, tickets map[int64]ticketAt, ticketIDs []int64) error {
	orgArgs, orgMarks := q.orgArgs, q.orgMarks
	ticketArgs, ticketMarks := idList(ticketIDs, func(id int64) int64 { return id })
	answers, err := queryAnswers(ctx, d.db, `SELECT a.ticket_id, a.question_id, qu.label, a.value, qu.position FROM answers a
		JOIN questions qu ON qu.id = a.question_id
		WHERE a.organization_id IN (`+orgMarks+`) AND a.ticket_id IN (`+ticketMarks+`)`,
		append(orgArgs, ticketArgs...)...)
	if err != nil {
		return err
	}
	for _, a := range answers {
		if at, ok := tickets[a.ticketID]; ok {
			at.order.Tickets[at.index].Answers = append(at.order.Tickets[at.index].Answers, a.TicketAnswer)
		}
	}
	return nil
}

// RecordOutboxResults records what a batch of side effects came to, with one
// statement for the done ones and one for the failed ones: a failed row
// counts an attempt and keeps its error, and is due again after its backoff
// (see DueOutbox). A row already done is left as it was. It reports how
// many rows it recorded done: fewer than the batch's done results means
// another worker had recorded some first.
//
// The effects have happened: recording them rides out a failover rather
// than leave the rows to be done again.
func (d *DB) RecordOutboxResults(ctx context.Context, results []admit.OutboxResult) (recorded int, err error) {
	defer wrap(&err, "DB.RecordOutboxResults(%d rows)", len(results))
	var done, failed []admit.OutboxResult
	for _, r := range results {
		if r.Err == "" {
			done = append(done, r)
		} else {
			failed = append(failed, r)
		}
	}
	if len(done) > 0 {
		ids, marks := idList(done, func(r admit.OutboxResult) int64 { return r.ID })
		cases, args := caseByID(done, func(r admit.OutboxResult) string { return truncate(r.Result, 255) })
		err = settle(ctx, func(ctx context.Context) error {
			res, err := d.db.ExecContext(ctx, `UPDATE outbox SET done_at = NOW(6), result = `+cases+`, attempts = attempts + 1, last_error = ''
				WHERE id IN (`+marks+`) AND done_at IS NULL`, append(args, ids...)...)
			if err != nil {
				return err
			}
			// After a lost connection, a retry finds the rows the first
			// try recorded already done: the count may then fall short.
			n, err := res.RowsAffected()
			recorded += int(n)
			return err
		})
		if err != nil {
			return recorded, err
		}
	}
	if len(failed) > 0 {
		ids, marks := idList(failed, func(r admit.OutboxResult) int64 { return r.ID })
		cases, args := caseByID(failed, func(r admit.OutboxResult) string { return truncate(r.Err, 1000) })
		// enqueued_at becomes the attempt's time: the backoff counts from
		// the failure.
		err = settle(ctx, func(ctx context.Context) error {
			_, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = `+cases+`, enqueued_at = NOW(6)
				WHERE id IN (`+marks+`) AND done_at IS NULL`, append(args, ids...)...)
			return err
		})
	}
	return recorded, err
}

// caseByID returns a CASE expression giving each result's row its value,
// with its arguments.
func caseByID(results []admit.OutboxResult, value func(admit.OutboxResult) string) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(results))
	b.WriteString("CASE id")
	for _, r := range results {
		b.WriteString(" WHEN ? THEN ?")
		args = append(args, r.ID, value(r))
	}
	b.WriteString(" END")
	return b.String(), args
}

func mapKeys(m map[int64]bool) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
