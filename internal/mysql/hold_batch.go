package mysql

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// holdRequest is one buyer's hold waiting in an event's lane.
type holdRequest struct {
	hold   *admit.Hold
	items  []admit.HoldItem // by ticket type id
	ttl    time.Duration
	limits admit.HoldLimits
	// err is this buyer's own answer (sold out, too many holds), set by
	// the batch; the batch's own failure is the member's err instead.
	err error
}

// CreateHold takes capacity for every item of h and records the hold, with
// a new secret (h.Secret, kept only as a hash) for the client to prove the
// hold is theirs. It
// joins the holds that this server is taking for the same event at the
// same moment in one transaction (batch.go): one guarded UPDATE per bucket
// with their summed quantity, so concurrent holds can never oversell
// whatever Redis said, and multi-row INSERTs. The expiry is computed by
// MySQL's clock. On success h.ID, h.ExpiresAt and h.ExpiresIn are set; if a
// type has too few tickets left the error is ESOLDOUT with an
// admit.Shortage detail, exactly as if the hold had been taken alone.
func (d *DB) CreateHold(ctx context.Context, h *admit.Hold, ttl time.Duration, limits admit.HoldLimits) (err error) {
	defer wrap(&err, "DB.CreateHold(%d, %d)", h.OrganizationID, h.EventID)
	r := newHoldRequest(h, ttl, limits)
	m := &batchMember[*holdRequest]{req: r}
	// An event's lanes (SetBatchLanes) take from random buckets, so their
	// batches rarely wait for each other's row locks.
	n := int64(d.holds.perKey)
	return r.outcome(d.holds.submit(ctx, h.EventID*n+rand.Int64N(n), m))
}

func newHoldRequest(h *admit.Hold, ttl time.Duration, limits admit.HoldLimits) *holdRequest {
	items := append([]admit.HoldItem(nil), h.Items...)
	sort.Slice(items, func(i, j int) bool { return items[i].TicketTypeID < items[j].TicketTypeID })
	h.ID = admit.NewToken(16)
	h.Secret = admit.NewToken(16)
	h.SecretHash = admit.HoldSecretHash(h.Secret)
	return &holdRequest{hold: h, items: items, ttl: ttl, limits: limits}
}

// outcome is the buyer's answer once its batch ran (or failed: batchErr).
func (r *holdRequest) outcome(batchErr error) error {
	if batchErr != nil {
		return batchErr
	}
	if r.err != nil {
		return r.err
	}
	h := r.hold
	h.Items = r.items
	h.Status = admit.HoldActive
	h.ExpiresIn = r.ttl
	// The expiry stored is MySQL's; this copy, for the response, is the
	// same instant give or take the clocks' difference.
	h.ExpiresAt = time.Now().Add(r.ttl)
	return nil
}

// runHoldBatch takes the batch's holds in one transaction, quickly (one
// random bucket per ticket type) and, if a bucket was short, carefully
// (every bucket of the types locked, buyers served in arrival order). A
// transaction that fails for a reason no buyer caused is run again; if it
// keeps failing, every buyer gets that error and nothing was taken.
func (d *DB) runHoldBatch(ctx context.Context, batch []*batchMember[*holdRequest]) {
	careful := false
	err := d.runBatch(ctx, &d.holds.stats, func(tx dbtx) error {
		for _, m := range batch {
			m.req.err = nil
		}
		err := takeHolds(ctx, tx, batch, careful)
		if errors.Is(err, errCareful) && !careful {
			careful = true
		}
		return err
	}, func(ctx context.Context) (bool, error) {
		return holdsExist(ctx, d.db, batch)
	})
	for _, m := range batch {
		m.err = err
	}
}

// holdsExist reports whether the batch's transaction committed after all,
// by looking for its first taken hold: a commit whose answer was lost.
func holdsExist(ctx context.Context, db *sql.DB, batch []*batchMember[*holdRequest]) (bool, error) {
	for _, m := range batch {
		if m.req.err == nil {
			var n int
			err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM holds WHERE id = ?`, m.req.hold.ID).Scan(&n)
			return n == 1, err
		}
	}
	return true, nil // nobody took anything: nothing to lose
}

// takeHolds is one attempt at the batch in tx.
func takeHolds(ctx context.Context, tx dbtx, batch []*batchMember[*holdRequest], careful bool) error {
	if err := checkHoldLimitsBatch(ctx, tx, batch); err != nil {
		return err
	}
	var live []*holdRequest
	for _, m := range batch {
		if m.req.err == nil {
			live = append(live, m.req)
		}
	}
	if len(live) == 0 {
		return nil
	}
	var takes []bucketTake
	if careful {
		var err error
		if takes, err = assignCarefully(ctx, tx, live); err != nil {
			return err
		}
		if live = stillLive(live); len(live) == 0 {
			return nil
		}
	} else {
		takes = assignQuickly(live)
	}
	// The holds, the bucket update and COMMIT go in one round trip. The
	// bucket rows are what every concurrent hold contends for: they are
	// updated last, so their locks are held only until the commit.
	var s script
	insertHolds(&s, live)
	takeFromBuckets(&s, live[0].hold.OrganizationID, live[0].hold.EventID, takes)
	s.commit()
	err := s.run(ctx, tx)
	switch {
	case errors.Is(err, errGuard) && careful:
		return errors.New("ledger inconsistency: a locked bucket refused what it was given")
	case errors.Is(err, errGuard):
		return errCareful
	}
	return err
}

func stillLive(rs []*holdRequest) []*holdRequest {
	var out []*holdRequest
	for _, r := range rs {
		if r.err == nil {
			out = append(out, r)
		}
	}
	return out
}

// bucketTake is what a batch takes from one bucket.
type bucketTake struct {
	ticketTypeID int64
	bucket       int
	quantity     int
}

// assignQuickly picks one random bucket per ticket type for the whole
// batch and sums what its buyers want there.
func assignQuickly(live []*holdRequest) []bucketTake {
	buckets := map[int64]int{}
	sums := map[int64]int{}
	for _, r := range live {
		for i := range r.items {
			id := r.items[i].TicketTypeID
			b, ok := buckets[id]
			if !ok {
				b = pickBucket(id)
				buckets[id] = b
			}
			r.items[i].Bucket = b
			sums[id] += r.items[i].Quantity
		}
	}
	takes := make([]bucketTake, 0, len(sums))
	for id, q := range sums {
		takes = append(takes, bucketTake{ticketTypeID: id, bucket: buckets[id], quantity: q})
	}
	sortTakes(takes)
	return takes
}

func sortTakes(takes []bucketTake) {
	sort.Slice(takes, func(i, j int) bool {
		if takes[i].ticketTypeID != takes[j].ticketTypeID {
			return takes[i].ticketTypeID < takes[j].ticketTypeID
		}
		return takes[i].bucket < takes[j].bucket
	})
}

// assignCarefully locks every bucket of the batch's ticket types (in the
// one lock order: by ticket type, then bucket), serves the buyers in the
// order they arrived, as if each had come alone (a buyer is refused only if
// those before it left too few), spreads what is free over the buckets
// again with one bucket per type getting what the batch takes, and returns
// those takes. Refused buyers get ESOLDOUT naming the type and what is
// left.
func assignCarefully(ctx context.Context, tx dbtx, live []*holdRequest) ([]bucketTake, error) {
	orgID, eventID := live[0].hold.OrganizationID, live[0].hold.EventID
	var ids []int64
	seen := map[int64]bool{}
	for _, r := range live {
		for _, it := range r.items {
			if !seen[it.TicketTypeID] {
				seen[it.TicketTypeID] = true
				ids = append(ids, it.TicketTypeID)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	locked, err := lockBucketsOf(ctx, tx, orgID, eventID, ids)
	if err != nil {
		return nil, err
	}
	free := map[int64]int{}
	for id, bs := range locked {
		quantity, taken := totals(bs)
		free[id] = quantity - taken
	}
	need := map[int64]int{}
	for _, r := range live {
		for _, it := range r.items {
			bs, ok := locked[it.TicketTypeID]
			if !ok || len(bs) == 0 {
				r.err = admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
				break
			}
			if left := free[it.TicketTypeID] - need[it.TicketTypeID]; left < it.Quantity {
				r.err = soldOutNamed(ctx, tx, orgID, it.TicketTypeID, max(left, 0))
				break
			}
		}
		if r.err != nil {
			continue
		}
		for _, it := range r.items {
			need[it.TicketTypeID] += it.Quantity
		}
	}
	var takes []bucketTake
	for _, id := range ids {
		if need[id] == 0 {
			continue
		}
		bs := locked[id]
		into := rand.IntN(len(bs))
		quantity, _ := totals(bs)
		if err := rebalance(ctx, tx, orgID, eventID, id, bs, quantity, into, need[id]); err != nil {
			return nil, err
		}
		takes = append(takes, bucketTake{ticketTypeID: id, bucket: into, quantity: need[id]})
		for _, r := range live {
			for i := range r.items {
				if r.items[i].TicketTypeID == id {
					r.items[i].Bucket = into
				}
			}
		}
	}
	return takes, nil
}

// soldOutNamed is soldOut for a ticket type whose name may have to be read.
func soldOutNamed(ctx context.Context, tx dbtx, orgID, ticketTypeID int64, remaining int) error {
	err := soldOut(ctx, tx, orgID, ticketTypeID, remaining)
	if admit.ErrorCode(err) == admit.ESOLDOUT {
		return err
	}
	if err != nil {
		// The name is for the message only; the answer stands without it.
		return admit.Shortage{TicketTypeID: ticketTypeID, Remaining: remaining}.Err()
	}
	return err
}

// lockBucketsOf locks the buckets of the organization's ticket types ids
// (sorted) with one statement, in the one lock order. What it reads decides
// who is refused, so it waits for Galera's causality (script.causalFirst).
func lockBucketsOf(ctx context.Context, tx dbtx, orgID, eventID int64, ids []int64) (map[int64][]bucketRow, error) {
	args := []any{orgID, eventID}
	for _, id := range ids {
		args = append(args, id)
	}
	out := map[int64][]bucketRow{}
	var s script
	s.causalFirst()
	s.query(func(rows *sql.Rows) error {
		for rows.Next() {
			var id int64
			var b bucketRow
			if err := rows.Scan(&id, &b.bucket, &b.quantity, &b.reserved, &b.sold); err != nil {
				return err
			}
			out[id] = append(out[id], b)
		}
		return rows.Err()
	}, `SELECT ticket_type_id, bucket, quantity, reserved, sold FROM ticket_type_buckets
		WHERE organization_id = ? AND event_id = ? AND ticket_type_id IN (`+placeholders(len(ids))+`)
		ORDER BY ticket_type_id, bucket FOR UPDATE`, args...)
	return out, s.run(ctx, tx)
}

// takeFromBuckets adds to s the reservation of each take's quantity in its
// bucket, one guarded statement for all of them, and its guard: a bucket
// without enough left fails the script with errGuard.
func takeFromBuckets(s *script, orgID, eventID int64, takes []bucketTake) {
	c := bucketCase(takes)
	args := append(append(append(append([]any{}, c.amountArgs...), orgID, eventID), c.rowArgs...), c.amountArgs...)
	s.exec(`UPDATE ticket_type_buckets SET reserved = reserved + `+c.amount+`
		WHERE organization_id = ? AND event_id = ? AND (`+c.rows+`)
		AND reserved + sold + `+c.amount+` <= quantity`, args...)
	s.guard(len(takes))
}

// bucketAmounts is one statement's per-bucket amounts: amount is a CASE
// giving each bucket row its own quantity, rows the condition that picks
// exactly those rows by their primary key.
type bucketAmounts struct {
	amount, rows        string
	amountArgs, rowArgs []any
}

// bucketCase builds the CASE and the row list for takes (sorted: InnoDB
// then locks the rows in the one lock order).
func bucketCase(takes []bucketTake) bucketAmounts {
	sortTakes(takes)
	var when strings.Builder
	c := bucketAmounts{amountArgs: make([]any, 0, 3*len(takes)), rowArgs: make([]any, 0, 2*len(takes))}
	for _, t := range takes {
		when.WriteString(" WHEN ticket_type_id = ? AND bucket = ? THEN ?")
		c.amountArgs = append(c.amountArgs, t.ticketTypeID, t.bucket, t.quantity)
		c.rowArgs = append(c.rowArgs, t.ticketTypeID, t.bucket)
	}
	c.amount = `CASE` + when.String() + ` END`
	// An OR of equalities, not a row constructor: MariaDB reads "(a, b) IN
	// ((x, y))" of one row by scanning (and locking) every bucket of every
	// ticket type, which serializes all checkouts of the server.
	c.rows = strings.TrimSuffix(strings.Repeat("(ticket_type_id = ? AND bucket = ?) OR ", len(takes)), " OR ")
	return c
}

// sumTakes adds up quantities per bucket.
func sumTakes(items []admit.HoldItem) []bucketTake {
	sums := map[[2]int64]int{}
	for _, it := range items {
		sums[[2]int64{it.TicketTypeID, int64(it.Bucket)}] += it.Quantity
	}
	takes := make([]bucketTake, 0, len(sums))
	for k, q := range sums {
		takes = append(takes, bucketTake{ticketTypeID: k[0], bucket: int(k[1]), quantity: q})
	}
	return takes
}

// insertHolds adds to s the batch's holds and their items, two statements
// for all of them. Their expiry is MySQL's clock plus their time.
func insertHolds(s *script, live []*holdRequest) {
	holdArgs := make([]any, 0, 7*len(live))
	var itemArgs []any
	items := 0
	for _, r := range live {
		h := r.hold
		holdArgs = append(holdArgs, h.ID, h.OrganizationID, h.EventID, h.ClientKey, h.ClientIP, h.SecretHash, h.DiscountCodeID, r.ttl.Microseconds())
		for _, it := range r.items {
			itemArgs = append(itemArgs, h.ID, it.TicketTypeID, it.Quantity, it.Bucket)
			items++
		}
	}
	s.exec(`INSERT INTO holds (id, organization_id, event_id, client_key, client_ip, secret_hash, discount_code_id, status, expires_at, created_at)
		VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, NULLIF(?, 0), 'active', NOW(6) + INTERVAL ? MICROSECOND, NOW(6)),", len(live)), ","),
		holdArgs...)
	s.exec(`INSERT INTO hold_items (hold_id, ticket_type_id, quantity, bucket) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", items), ","), itemArgs...)
}

// checkHoldLimitsBatch refuses the buyers who already hold as many live
// holds for the event as they may, by session and by address, counting
// those earlier in the batch: one query per kind of limit, in one round
// trip for the batch.
func checkHoldLimitsBatch(ctx context.Context, tx dbtx, batch []*batchMember[*holdRequest]) error {
	limits := []struct {
		column string
		value  func(*holdRequest) string
		limit  func(admit.HoldLimits) int
		held   map[string]int
	}{
		{"client_key", func(r *holdRequest) string { return r.hold.ClientKey }, func(l admit.HoldLimits) int { return l.PerClient }, map[string]int{}},
		{"client_ip", func(r *holdRequest) string { return r.hold.ClientIP }, func(l admit.HoldLimits) int { return l.PerIP }, map[string]int{}},
	}
	var s script
	for _, c := range limits {
		var values []any
		seen := map[string]bool{}
		for _, m := range batch {
			if v := c.value(m.req); m.req.err == nil && c.limit(m.req.limits) > 0 && v != "" && !seen[v] {
				seen[v] = true
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			continue
		}
		s.query(func(rows *sql.Rows) error {
			for rows.Next() {
				var v string
				var n int
				if err := rows.Scan(&v, &n); err != nil {
					return err
				}
				c.held[v] = n
			}
			return rows.Err()
		}, `SELECT `+c.column+`, COUNT(*) FROM holds WHERE event_id = ? AND `+c.column+` IN (`+placeholders(len(values))+`)
			AND status = 'active' AND expires_at > NOW(6) GROUP BY `+c.column, append([]any{batch[0].req.hold.EventID}, values...)...)
	}
	if err := s.run(ctx, tx); err != nil {
		return err
	}
	for _, c := range limits {
		for _, m := range batch {
			v, limit := c.value(m.req), c.limit(m.req.limits)
			if m.req.err != nil || limit <= 0 || v == "" {
				continue
			}
			if c.held[v] >= limit {
				m.req.err = &admit.Error{Code: admit.ERATELIMITED,
					Message: "You already hold tickets for this event. Finish or cancel that checkout first, or wait for it to expire."}
				continue
			}
			c.held[v]++
		}
	}
	return nil
}

// placeholders returns n comma-separated question marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
