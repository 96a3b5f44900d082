package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// orderRequest is one order placement waiting in a lane.
type orderRequest struct {
	p admit.PlaceOrder
	// Set by each attempt of the batch:
	req      admit.OrderRequest // p.Request as Check left it
	hold     *admit.Hold
	err      error // this buyer's own answer (expired, invalid...)
	order    *admit.Order
	existing bool
	response *admit.StoredResponse
	replayed bool
	sameHold *orderRequest // an earlier member for the same hold
	sameKey  *orderRequest // an earlier member with the same key
	keyErr   bool          // err is the key's (reused, in progress): nothing to store
	orgID    int64
	// effects are the outbox rows the order's side effects were written
	// as, when this server hands them to the queue itself (d.dispatch).
	effects []admit.OutboxRow
}

// PlaceOrder turns a live hold into an order (see PlaceOrderKeyed). A hold
// that was already converted returns its existing order with existing
// true: a double submit gets the first order, never a second.
func (d *DB) PlaceOrder(ctx context.Context, p admit.PlaceOrder) (o *admit.Order, existing bool, err error) {
	placed, err := d.PlaceOrderKeyed(ctx, p)
	if err != nil {
		return nil, false, err
	}
	return placed.Order, placed.Existing, nil
}

// PlaceOrderKeyed turns a live hold into an order: the hold is converted,
// its capacity moves from reserved to sold, lines and tickets are written
// at the server's prices. A free order is paid at once, with its tickets
// issued and its side effects in the outbox. It joins the placements that
// this server runs at the same moment in one transaction (batch.go), as if
// each had run alone.
func (d *DB) PlaceOrderKeyed(ctx context.Context, p admit.PlaceOrder) (placed *admit.PlacedOrder, err error) {
	defer wrap(&err, "DB.PlaceOrder")
	r := &orderRequest{p: p}
	h := fnv.New32a()
	h.Write([]byte(p.HoldID))
	// Placements are not known to belong to an event until their hold is
	// read, so they are spread over the lanes (SetBatchLanes) by hold.
	return r.outcome(d.orders.submit(ctx, int64(h.Sum32()%uint32(d.orders.perKey)), &batchMember[*orderRequest]{req: r}))
}

// outcome is the placement's answer once its batch ran (or failed:
// batchErr).
func (r *orderRequest) outcome(batchErr error) (*admit.PlacedOrder, error) {
	if batchErr != nil {
		return nil, batchErr
	}
	if r.replayed {
		return &admit.PlacedOrder{Response: r.response, Replayed: true}, nil
	}
	if r.err != nil {
		if r.response != nil {
			return &admit.PlacedOrder{Response: r.response}, r.err
		}
		return nil, r.err
	}
	return &admit.PlacedOrder{Order: r.order, Existing: r.existing, Response: r.response}, nil
}

// runOrderBatch places the batch's orders in one transaction. Quickly, the
// holds are read without locks and converted with one guarded UPDATE; if
// one changed meanwhile (it expired, or another server converted it), the
// attempt is rolled back and run carefully, the holds locked first.
func (d *DB) runOrderBatch(ctx context.Context, batch []*batchMember[*orderRequest]) {
	careful := false
	handed := d.dispatch != nil
	err := d.runBatch(ctx, &d.orders.stats, func(tx dbtx) error {
		err := placeOrders(ctx, tx, batch, careful, handed)
		if errors.Is(err, errCareful) {
			careful = true
		}
		return err
	}, func(ctx context.Context) (bool, error) {
		return ordersExist(ctx, d.db, batch)
	})
	for _, m := range batch {
		m.err = err
	}
	if err != nil {
		return
	}
	if handed {
		var effects []admit.OutboxRow
		for _, m := range batch {
			effects = append(effects, m.req.effects...)
		}
		if len(effects) > 0 {
			d.dispatch(effects)
		}
	}
	// Members that were one request with an earlier one get its outcome;
	// in arrival order, so the earlier one has its own already.
	for _, m := range batch {
		r := m.req
		if f := r.sameHold; f != nil {
			r.order, r.existing, r.err = f.order, true, f.err
		}
		if f := r.sameKey; f != nil {
			if f.response != nil {
				r.response, r.replayed = f.response, true
			} else {
				r.order, r.existing, r.err = f.order, true, f.err
			}
		}
	}
}

// ordersExist reports whether the batch's transaction committed after all.
func ordersExist(ctx context.Context, db *sql.DB, batch []*batchMember[*orderRequest]) (bool, error) {
	for _, m := range batch {
		r := m.req
		switch {
		case r.order != nil && !r.existing && r.sameHold == nil:
			var n int
			err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE hold_id = ?`, r.p.HoldID).Scan(&n)
			return n == 1, err
		case r.p.Key != nil && r.response != nil && !r.replayed && r.orgID != 0:
			var n int
			err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM idempotency_keys WHERE organization_id = ? AND scope = ? AND idempotency_key = ?`,
				r.orgID, r.p.Key.Scope, r.p.Key.Key).Scan(&n)
			return n == 1, err
		}
	}
	return true, nil // the batch wrote nothing
}

// heldOrder is a hold as the batch reads it, with the lines it becomes.
type heldOrder struct {
	hold     *admit.Hold
	live     bool
	now      time.Time
	lines    []admit.OrderLine
	currency string
	// payment and starts decide how long an offline order waits to be
	// paid (admit.PaymentInstructions.PendingFor).
	payment admit.PaymentInstructions
	starts  time.Time
}

// placeOrders is one attempt at the batch in tx: three round trips, COMMIT
// included (script.go), whatever the batch holds, plus one for each hold
// with a discount code or already converted.
//
// With handed, the side effects' rows are written as handed over, and
// their ids are read back into each placement's effects, for the caller
// to hand to the queue once the batch has committed.
func placeOrders(ctx context.Context, tx dbtx, batch []*batchMember[*orderRequest], careful, handed bool) error {
	for _, m := range batch {
		r := m.req
		*r = orderRequest{p: r.p, req: r.p.Request}
		r.req.Attendees = append([]admit.Attendee(nil), r.p.Request.Attendees...)
	}
	// The holds and the keys, read together.
	var read script
	read.causalFirst()
	holds := readHolds(&read, batch, careful)
	keys := readKeys(&read, batch)
	if err := read.run(ctx, tx); err != nil {
		return err
	}
	first := map[string]*orderRequest{}
	for _, m := range batch {
		r := m.req
		ho, ok := holds[r.p.HoldID]
		if !ok || (r.p.Authorize != nil && !r.p.Authorize(ho.hold)) {
			r.err = admit.Errorf(admit.ENOTFOUND, "This checkout does not exist. Start again from the event page.")
			continue
		}
		r.hold, r.orgID = ho.hold, ho.hold.OrganizationID
	}
	resolveKeys(batch, keys)
	var placing []*orderRequest
	for _, m := range batch {
		r := m.req
		if r.err != nil || r.sameKey != nil || r.replayed {
			continue
		}
		if f, ok := first[r.p.HoldID]; ok {
			r.sameHold = f
			continue
		}
		first[r.p.HoldID] = r
		ho := holds[r.p.HoldID]
		switch {
		case ho.hold.Status == admit.HoldConverted:
			r.existing = true
			r.order, r.err = scanOrderWhere(ctx, tx, `hold_id = ?`, r.p.HoldID)
			if r.err != nil && admit.ErrorCode(r.err) != admit.ENOTFOUND {
				return r.err
			}
			continue
		case ho.hold.Status != admit.HoldActive || !ho.live:
			r.err = admit.Errorf(admit.EEXPIRED, "Your hold on these tickets has expired. Please choose your tickets again.")
			continue
		}
		if r.err = newOrder(ctx, tx, r, ho); r.err != nil {
			if admit.ErrorCode(r.err) == admit.EINTERNAL {
				return r.err
			}
			continue
		}
		placing = append(placing, r)
	}
	if err := writeOrders(ctx, tx, placing, careful); err != nil {
		return err
	}
	return finishOrders(ctx, tx, batch, placing, handed)
}

// writeOrders converts the placing holds and writes their orders, learning
// the orders' and tickets' ids: one round trip.
func writeOrders(ctx context.Context, tx dbtx, placing []*orderRequest, careful bool) error {
	if len(placing) == 0 {
		return nil
	}
	var s script
	convertHolds(&s, placing, careful)
	insertOrders(&s, placing)
	err := s.run(ctx, tx)
	switch {
	case err != nil && !careful && isDuplicate(err):
		// Another server converted a hold since it was read: its order
		// is there already.
		return errCareful
	case errors.Is(err, errGuard) && !careful:
		// A hold expired or was converted since it was read.
		return errCareful
	case errors.Is(err, errGuard):
		return errors.New("ledger inconsistency: a locked hold could not be converted")
	}
	return err
}

// finishOrders writes the answers, side effects and stored responses,
// moves the capacity to sold, and commits: one round trip.
func finishOrders(ctx context.Context, tx dbtx, batch []*batchMember[*orderRequest], placing []*orderRequest, handed bool) error {
	var s script
	insertAnswers(&s, placing)
	if err := insertOrderEffects(&s, placing, handed); err != nil {
		return err
	}
	storeResponses(&s, batch)
	moveToSold(&s, placing)
	s.commit()
	err := s.run(ctx, tx)
	if errors.Is(err, errGuard) {
		return errors.New("ledger inconsistency: a hold's reservation is missing from its bucket")
	}
	return err
}

// readHolds adds to s the read of the batch's holds with their items at the
// ticket types' current prices, one statement, and in careful mode one
// before it that locks the holds; the map is filled when s runs.
func readHolds(s *script, batch []*batchMember[*orderRequest], careful bool) map[string]*heldOrder {
	var ids []any
	seen := map[string]bool{}
	for _, m := range batch {
		if id := m.req.p.HoldID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].(string) < ids[j].(string) })
	if careful {
		s.query(func(*sql.Rows) error { return nil }, `SELECT id FROM holds WHERE id IN (`+placeholders(len(ids))+`) ORDER BY id FOR UPDATE`, ids...)
	}
	holds := map[string]*heldOrder{}
	s.query(func(rows *sql.Rows) error {
		for rows.Next() {
			var h admit.Hold
			var status string
			var leftMicros int64
			var now time.Time
			var l admit.OrderLine
			var currency string
			var payment admit.PaymentInstructions
			var starts time.Time
			if err := rows.Scan(&h.ID, &h.OrganizationID, &h.EventID, &h.ClientKey, &h.ClientIP, &h.SecretHash, &h.DiscountCodeID, &status, &h.ExpiresAt,
				&leftMicros, &h.CreatedAt, &now, &l.TicketTypeID, &l.Quantity, &l.Bucket, &l.Name, &l.UnitPrice, &currency,
				&payment.DueDays, &starts); err != nil {
				return err
			}
			ho, ok := holds[h.ID]
			if !ok {
				h.Status = admit.HoldStatus(status)
				h.ExpiresIn = time.Duration(leftMicros) * time.Microsecond
				ho = &heldOrder{hold: &h, live: leftMicros > 0, now: now, currency: currency, payment: payment, starts: starts}
				holds[h.ID] = ho
			}
			ho.hold.Items = append(ho.hold.Items, admit.HoldItem{TicketTypeID: l.TicketTypeID, Quantity: l.Quantity, Bucket: l.Bucket})
			ho.lines = append(ho.lines, l)
		}
		return rows.Err()
	}, `SELECT h.id, h.organization_id, h.event_id, h.client_key, h.client_ip, h.secret_hash, COALESCE(h.discount_code_id, 0),
		h.status, h.expires_at, TIMESTAMPDIFF(MICROSECOND, NOW(6), h.expires_at), h.created_at, NOW(6),
		hi.ticket_type_id, hi.quantity, hi.bucket, tt.name, tt.price, e.currency,
		e.payment_due_days, e.starts_at
		FROM holds h JOIN hold_items hi ON hi.hold_id = h.id JOIN ticket_types tt ON tt.id = hi.ticket_type_id JOIN events e ON e.id = h.event_id
		WHERE h.id IN (`+placeholders(len(ids))+`) ORDER BY h.id, hi.ticket_type_id`, ids...)
	return holds
}

// newOrder validates r against its hold and prices its order, taking a use
// of its discount code (a guarded statement, like inventory).
func newOrder(ctx context.Context, tx dbtx, r *orderRequest, ho *heldOrder) error {
	if r.p.Check != nil {
		if err := r.p.Check(ho.hold, &r.req); err != nil {
			return err
		}
	}
	h := ho.hold
	var dc *admit.DiscountCode
	if h.DiscountCodeID != 0 {
		if err := takeDiscountUse(ctx, tx, h.DiscountCodeID); err != nil {
			return err
		}
		var err error
		if dc, err = findDiscountByID(ctx, tx, h.OrganizationID, h.DiscountCodeID); err != nil {
			return err
		}
	}
	pendingFor := r.p.PendingFor
	if r.req.PaymentMethod == admit.PaymentOffline {
		// The organizer's days to pay, from MySQL's clock like every
		// expiry the sweeper compares.
		pendingFor = ho.payment.PendingFor(ho.now, ho.starts)
	}
	o, err := admit.NewOrder(h, ho.lines, ho.currency, dc, r.req, ho.now, pendingFor)
	if err != nil {
		return err
	}
	r.order = o
	return nil
}

// convertHolds adds to s the flip of the placing holds from active to
// converted, one guarded statement, and its guard. Quickly, a hold that
// expired or was converted since it was read fails the guard: the caller
// returns errCareful, and the attempt is run again carefully. Carefully,
// the holds are locked and were read live.
func convertHolds(s *script, placing []*orderRequest, careful bool) {
	args := make([]any, len(placing))
	for i, r := range placing {
		args[i] = r.p.HoldID
	}
	q := `UPDATE holds SET status = 'converted' WHERE id IN (` + placeholders(len(args)) + `) AND status = 'active'`
	if !careful {
		q += ` AND expires_at > NOW(6)`
	}
	s.exec(q, args...)
	s.guard(len(placing))
}

// insertOrders adds to s the placing orders, their lines and tickets, one
// multi-row statement per table (lines and tickets find their order by its
// hold), and the reads of the orders' and tickets' ids, which it sets when
// s runs.
func insertOrders(s *script, placing []*orderRequest) {
	args := make([]any, 0, 16*len(placing))
	holdIDs := make([]any, len(placing))
	for i, r := range placing {
		o := r.order
		args = append(args, o.OrganizationID, o.EventID, o.HoldID, o.Reference, o.AccessToken, string(o.Status), o.BuyerName, o.BuyerEmail,
			o.Total, o.DiscountCodeID, o.DiscountTotal, o.Currency, o.PaymentProvider, o.CreatedAt, nullTime(o.ExpiresAt), nullTime(o.PaidAt))
		holdIDs[i] = o.HoldID
	}
	// A reference collision (one in billions) fails the attempt, and the
	// next one draws new references.
	s.exec(`INSERT INTO orders (organization_id, event_id, hold_id, reference, access_token, status,
		buyer_name, buyer_email, total, discount_code_id, discount_total, currency, payment_provider, created_at, expires_at, paid_at) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?),", len(placing)), ","), args...)
	var lineArgs, ticketArgs []any
	lines, tickets := 0, 0
	for _, r := range placing {
		o := r.order
		for _, l := range o.Lines {
			lineArgs = append(lineArgs, o.HoldID, l.TicketTypeID, l.Quantity, l.UnitPrice, l.Bucket)
			lines++
		}
		for j := range o.Tickets {
			t := &o.Tickets[j]
			ticketArgs = append(ticketArgs, o.OrganizationID, o.HoldID, t.TicketTypeID, t.Code, t.AttendeeName, t.AttendeeEmail, string(t.Status))
			tickets++
		}
	}
	const orderOfHold = `(SELECT id FROM orders WHERE hold_id = ?)`
	s.exec(`INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price, bucket) VALUES `+
		strings.TrimSuffix(strings.Repeat("("+orderOfHold+", ?, ?, ?, ?),", lines), ","), lineArgs...)
	s.exec(`INSERT INTO tickets (organization_id, order_id, ticket_type_id, code, attendee_name, attendee_email, status) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, "+orderOfHold+", ?, ?, ?, ?, ?),", tickets), ","), ticketArgs...)
	byHold := map[string]*admit.Order{}
	byCode := map[string]*admit.Ticket{}
	for _, r := range placing {
		byHold[r.order.HoldID] = r.order
		for j := range r.order.Tickets {
			byCode[r.order.Tickets[j].Code] = &r.order.Tickets[j]
		}
	}
	s.query(func(rows *sql.Rows) error {
		return scanIDs(rows, func(id int64, holdID string) {
			o := byHold[holdID]
			o.ID = id
			for j := range o.Tickets {
				o.Tickets[j].OrderID = id
			}
		})
	}, `SELECT id, hold_id FROM orders WHERE hold_id IN (`+placeholders(len(holdIDs))+`)`, holdIDs...)
	s.query(func(rows *sql.Rows) error {
		return scanIDs(rows, func(id int64, code string) {
			if t, ok := byCode[code]; ok {
				t.ID = id
			}
		})
	}, `SELECT t.id, t.code FROM orders o JOIN tickets t ON t.order_id = o.id WHERE o.hold_id IN (`+placeholders(len(holdIDs))+`)`, holdIDs...)
}

// queryIDs runs a query of (id, text) rows and hands each to fn.
func queryIDs(ctx context.Context, q queryer, query string, args []any, fn func(id int64, text string)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scanIDs(rows, fn)
}

// scanIDs hands each (id, text) row to fn.
func scanIDs(rows *sql.Rows, fn func(id int64, text string)) error {
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			return err
		}
		fn(id, text)
	}
	return rows.Err()
}

// insertAnswers adds to s the attendees' answers (Check has kept only
// answers to the event's questions for each ticket type).
func insertAnswers(s *script, placing []*orderRequest) {
	var args []any
	n := 0
	for _, r := range placing {
		for i, t := range r.order.Tickets {
			for qid, v := range r.req.Attendees[i].Answers {
				if v == "" {
					continue
				}
				args = append(args, t.ID, qid, r.order.OrganizationID, v)
				n++
			}
		}
	}
	if n == 0 {
		return
	}
	s.exec(`INSERT INTO answers (ticket_id, question_id, organization_id, value) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", n), ","), args...)
}

// insertOrderEffects records the orders' side effects: a free order's
// confirmation and order.paid webhook; a pending order's "placed" email
// (payment instructions for offline orders); and, for organizations with
// an endpoint that wants them, the order.placed and ticket.created webhook
// events. All go in the one INSERT the placement already made: the rows an
// endpoint wants are chosen by the statement itself, so an on-sale whose
// organizer listens to neither writes no more rows and makes no more round
// trips than before.
//
// With handed, the rows are written as handed over now (enqueued_at), so
// the relay leaves them to this server, and the statement after the INSERT
// reads their ids back into each placement's effects. The rows at or after
// the INSERT's first id are this INSERT's and those other transactions
// committed since; this INSERT's are told by their kind and payload, which
// name the batch's own orders and tickets. If the server dies before it
// hands them over, the relay does once they are RedeliverAfter old, as for
// a task lost with Redis.
func insertOrderEffects(s *script, placing []*orderRequest, handed bool) error {
	var args []any
	n := 0
	mine := map[string]*orderRequest{}
	var r *orderRequest
	add := func(orgID int64, p admit.OutboxPayload) error {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		args = append(args, orgID, p.OutboxKind(), b)
		mine[effectKey(orgID, p.OutboxKind(), b)] = r
		n++
		return nil
	}
	for _, r = range placing {
		o := r.order
		effects := []admit.OutboxPayload{admit.OrderEmail{Kind: admit.KindOrderPlaced, OrderID: o.ID}, admit.WebhookEvent{Type: "order.placed", OrderID: o.ID}}
		if o.Status == admit.OrderPaid {
			effects = []admit.OutboxPayload{admit.OrderEmail{Kind: admit.KindOrderConfirmation, OrderID: o.ID},
				admit.WebhookEvent{Type: "order.placed", OrderID: o.ID}, admit.WebhookEvent{Type: "order.paid", OrderID: o.ID}}
		}
		for _, t := range o.Tickets {
			effects = append(effects, admit.WebhookEvent{Type: "ticket.created", TicketID: t.ID})
		}
		for _, p := range effects {
			if err := add(o.OrganizationID, p); err != nil {
				return err
			}
		}
	}
	// SUBSTRING(k, 9) is the event type of a kind "webhook.TYPE"; the
	// endpoints are read without locks (READ COMMITTED), so an organizer
	// editing an endpoint never waits for an on-sale, nor it for them.
	if n == 0 {
		return nil
	}
	enqueuedAt := "NULL"
	if handed {
		enqueuedAt = "NOW(6)"
	}
	s.exec(`INSERT INTO outbox (organization_id, kind, payload, enqueued_at)
		SELECT v.o, v.k, v.p, `+enqueuedAt+` FROM (SELECT ? AS o, ? AS k, ? AS p`+strings.Repeat(" UNION ALL SELECT ?, ?, ?", n-1)+`) v
		WHERE v.k NOT IN ('`+string(placedEvent)+`', '`+string(ticketCreatedEvent)+`') OR EXISTS (SELECT 1 FROM webhook_endpoints e
			WHERE e.organization_id = v.o AND e.enabled AND FIND_IN_SET(SUBSTRING(v.k, 9), e.event_types))`, args...)
	if !handed {
		return nil
	}
	// Straight after the INSERT: a later statement may set LAST_INSERT_ID.
	s.query(func(rows *sql.Rows) error {
		for rows.Next() {
			var row admit.OutboxRow
			if err := rows.Scan(&row.ID, &row.OrganizationID, &row.Kind, &row.Payload); err != nil {
				return err
			}
			if r := mine[effectKey(row.OrganizationID, row.Kind, row.Payload)]; r != nil {
				row.Payload = nil
				r.effects = append(r.effects, row)
			}
		}
		return rows.Err()
	}, `SELECT id, COALESCE(organization_id, 0), kind, payload FROM outbox WHERE id >= LAST_INSERT_ID() AND LAST_INSERT_ID() > 0 ORDER BY id`)
	return nil
}

// effectKey tells a side effect's row by what it was written with.
func effectKey(orgID int64, kind admit.OutboxKind, payload []byte) string {
	return strconv.FormatInt(orgID, 10) + " " + string(kind) + " " + string(payload)
}

// The outbox kinds of the placement's webhook events that are written only
// for organizations with an endpoint that wants them.
var (
	placedEvent        = admit.WebhookEvent{Type: "order.placed"}.OutboxKind()
	ticketCreatedEvent = admit.WebhookEvent{Type: "ticket.created"}.OutboxKind()
)

// moveToSold adds to s the move of the placed orders' capacity from
// reserved to sold, in the buckets their holds took it from, one guarded
// statement for all the buckets, and its guard. The bucket rows are what
// every concurrent checkout contends for, so this is the transaction's
// last statement before COMMIT (InnoDB locks them in key order): their
// locks are held only until the commit.
func moveToSold(s *script, placing []*orderRequest) {
	var items []admit.HoldItem
	for _, r := range placing {
		for _, l := range r.order.Lines {
			items = append(items, admit.HoldItem{TicketTypeID: l.TicketTypeID, Quantity: l.Quantity, Bucket: l.Bucket})
		}
	}
	if len(items) == 0 {
		return
	}
	sums := sumTakes(items)
	c := bucketCase(sums)
	args := append(append(append(append([]any{}, c.amountArgs...), c.amountArgs...), c.rowArgs...), c.amountArgs...)
	s.exec(`UPDATE ticket_type_buckets SET reserved = reserved - `+c.amount+`, sold = sold + `+c.amount+`
		WHERE (`+c.rows+`) AND reserved >= `+c.amount, args...)
	s.guard(len(sums))
}
