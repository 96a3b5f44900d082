package mysql

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/admithq/admit/internal/admit"
)

// A ticket type's capacity lives in its buckets: rows of
// ticket_type_buckets whose quantities add up to the ticket type's quantity,
// each guarded on its own (reserved + sold <= quantity). A hold takes from
// one bucket picked at random, so concurrent holds of a hot ticket type
// queue for several row locks instead of one. When the picked bucket has too
// few left, the hold locks all of the type's buckets, spreads what is free
// evenly over them again (the bucket it takes from getting what it needs)
// and takes; only when the buckets together have too few is the answer
// "sold out", so no capacity is ever stranded in a bucket nobody picks.

const (
	// maxBuckets caps how many rows one ticket type's capacity is split
	// into; beyond a few, more row locks buy nothing on a small machine.
	maxBuckets = 8
	// ticketsPerBucket: a ticket type gets a bucket per this many tickets,
	// so a small type is one row and needs no rebalancing.
	ticketsPerBucket = 25
)

// bucketsFor returns how many buckets a ticket type of quantity gets.
func bucketsFor(quantity int) int {
	return min(max((quantity+ticketsPerBucket-1)/ticketsPerBucket, 1), maxBuckets)
}

// bucketCounts remembers how many buckets each ticket type has, so a hold
// picks among the buckets that exist; a stale count costs one slow take.
var bucketCounts sync.Map // ticket type id → int

// pickBucket returns a random bucket of the ticket type.
func pickBucket(ticketTypeID int64) int {
	n := maxBuckets
	if v, ok := bucketCounts.Load(ticketTypeID); ok {
		n = v.(int)
	}
	return rand.IntN(n)
}

type bucketRow struct {
	bucket, quantity, reserved, sold int
}

func (b bucketRow) taken() int { return b.reserved + b.sold }
func (b bucketRow) free() int  { return b.quantity - b.taken() }

// spread splits total into n near-equal parts.
func spread(total, n int) []int {
	parts := make([]int, n)
	for i := range parts {
		parts[i] = total / n
		if i < total%n {
			parts[i]++
		}
	}
	return parts
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// createBuckets splits a new ticket type's quantity over its buckets.
func createBuckets(ctx context.Context, tx execer, orgID, eventID, ticketTypeID int64, quantity int) error {
	return insertBuckets(ctx, tx, orgID, eventID, ticketTypeID, spread(quantity, bucketsFor(quantity)))
}

// insertBuckets inserts the ticket type's buckets 0, 1, ... with the given
// quantities.
func insertBuckets(ctx context.Context, tx execer, orgID, eventID, ticketTypeID int64, quantities []int) error {
	args := make([]any, 0, 5*len(quantities))
	for i, q := range quantities {
		args = append(args, ticketTypeID, i, orgID, eventID, q)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ticket_type_buckets (ticket_type_id, bucket, organization_id, event_id, quantity) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?),", len(quantities)), ","), args...)
	if err == nil {
		bucketCounts.Store(ticketTypeID, len(quantities))
	}
	return err
}

// createEventBuckets creates the buckets of every ticket type of the event
// that has none yet (ticket types copied by INSERT ... SELECT).
func createEventBuckets(ctx context.Context, tx *sql.Tx, orgID, eventID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, quantity FROM ticket_types tt WHERE organization_id = ? AND event_id = ?
		AND NOT EXISTS (SELECT 1 FROM ticket_type_buckets b WHERE b.ticket_type_id = tt.id)`, orgID, eventID)
	if err != nil {
		return err
	}
	var types [][2]int64
	for rows.Next() {
		var id, quantity int64
		if err := rows.Scan(&id, &quantity); err != nil {
			rows.Close()
			return err
		}
		types = append(types, [2]int64{id, quantity})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range types {
		if err := createBuckets(ctx, tx, orgID, eventID, t[0], int(t[1])); err != nil {
			return err
		}
	}
	return nil
}

// SplitTicketType splits the capacity of a ticket type from which nothing
// is taken yet over n buckets (1 to 64): the on-sale benchmark's baseline
// of one guarded row per ticket type is n = 1.
func (d *DB) SplitTicketType(ctx context.Context, orgID, eventID, ticketTypeID int64, n int) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.SplitTicketType(%d, %d)", ticketTypeID, n)
	if n < 1 || n > 64 {
		return admit.Errorf(admit.EINVALID, "A ticket type has 1 to 64 buckets.")
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		bs, err := lockBuckets(ctx, tx, orgID, eventID, ticketTypeID)
		if err != nil {
			return err
		}
		quantity, taken := totals(bs)
		if len(bs) == 0 {
			return admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
		} else if taken > 0 {
			return admit.Errorf(admit.ECONFLICT, "Tickets of this type are sold or held already.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ticket_type_buckets WHERE ticket_type_id = ?`, ticketTypeID); err != nil {
			return err
		}
		return insertBuckets(ctx, tx, orgID, eventID, ticketTypeID, spread(quantity, n))
	})
}

// lockBuckets reads the buckets of the organization's ticket type, locked,
// in bucket order (the one lock order every writer of several buckets
// uses). None means there is no such ticket type.
func lockBuckets(ctx context.Context, tx *sql.Tx, orgID, eventID, ticketTypeID int64) ([]bucketRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT bucket, quantity, reserved, sold FROM ticket_type_buckets
		WHERE ticket_type_id = ? AND organization_id = ? AND event_id = ? ORDER BY bucket FOR UPDATE`, ticketTypeID, orgID, eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bs []bucketRow
	for rows.Next() {
		var b bucketRow
		if err := rows.Scan(&b.bucket, &b.quantity, &b.reserved, &b.sold); err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	return bs, rows.Err()
}

func totals(bs []bucketRow) (quantity, taken int) {
	for _, b := range bs {
		quantity += b.quantity
		taken += b.taken()
	}
	return quantity, taken
}

// rebalance gives the ticket type total tickets over its locked buckets bs:
// each bucket keeps what is taken from it, what is free is spread evenly,
// and bucket into gets need more on top. The type gains buckets if total
// calls for more. The caller has checked that total covers what is taken
// plus need.
func rebalance(ctx context.Context, tx dbtx, orgID, eventID, ticketTypeID int64, bs []bucketRow, total, into, need int) error {
	for len(bs) < bucketsFor(total) {
		b := bucketRow{bucket: len(bs)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_type_buckets (ticket_type_id, bucket, organization_id, event_id, quantity)
			VALUES (?, ?, ?, ?, 0)`, ticketTypeID, b.bucket, orgID, eventID); err != nil {
			return err
		}
		bs = append(bs, b)
	}
	_, taken := totals(bs)
	shares := spread(total-taken-need, len(bs))
	shares[into] += need
	for i, b := range bs {
		if q := b.taken() + shares[i]; q != b.quantity {
			if _, err := tx.ExecContext(ctx, `UPDATE ticket_type_buckets SET quantity = ? WHERE ticket_type_id = ? AND bucket = ?`,
				q, ticketTypeID, b.bucket); err != nil {
				return err
			}
		}
	}
	bucketCounts.Store(ticketTypeID, len(bs))
	return nil
}

// errCareful is a batch's quick attempt giving up (a picked bucket had too
// few left, or a hold changed before it was converted): the transaction is
// rolled back and run again carefully. (It cannot lock the other buckets
// where it stands: it holds the picked bucket's lock, and taking the others
// would break the one lock order, bucket by bucket upwards, that keeps
// rebalancing holds from deadlocking each other.)
var errCareful = errors.New("the quick attempt gave up: run again carefully")

// take reserves it.Quantity tickets of it.TicketTypeID for hold h, in tx,
// for a hold taken alone (a waiting-list offer; buyers' holds are batched,
// hold_batch.go): lock all of the type's buckets, answer sold out if
// together they have too few, else spread what is free over them again
// with it.Bucket (or another if the type has fewer buckets) getting what
// the hold needs, and take from it, setting it.Bucket and the hold item's
// bucket to the one taken from. The hold item row must exist already.
func take(ctx context.Context, tx *sql.Tx, h *admit.Hold, it *admit.HoldItem) error {
	bs, err := lockBuckets(ctx, tx, h.OrganizationID, h.EventID, it.TicketTypeID)
	if err != nil {
		return err
	}
	if len(bs) == 0 {
		return admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
	}
	quantity, taken := totals(bs)
	if free := quantity - taken; free < it.Quantity {
		return soldOut(ctx, tx, h.OrganizationID, it.TicketTypeID, max(free, 0))
	}
	into := it.Bucket
	if into >= len(bs) {
		into = rand.IntN(len(bs))
	}
	if err := rebalance(ctx, tx, h.OrganizationID, h.EventID, it.TicketTypeID, bs, quantity, into, it.Quantity); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE ticket_type_buckets SET reserved = reserved + ?
		WHERE ticket_type_id = ? AND bucket = ? AND reserved + sold + ? <= quantity`,
		it.Quantity, it.TicketTypeID, into, it.Quantity)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errors.New("ledger inconsistency: a rebalanced bucket refused its share")
	}
	if into != it.Bucket {
		if _, err := tx.ExecContext(ctx, `UPDATE hold_items SET bucket = ? WHERE hold_id = ? AND ticket_type_id = ?`,
			into, h.ID, it.TicketTypeID); err != nil {
			return err
		}
		it.Bucket = into
	}
	return nil
}

// setQuantity changes the ticket type's quantity, refusing (with the
// quantity field named) to go below what is sold or held; the buckets are
// locked so no hold takes meanwhile.
func setQuantity(ctx context.Context, tx *sql.Tx, orgID, eventID, ticketTypeID int64, quantity int) error {
	bs, err := lockBuckets(ctx, tx, orgID, eventID, ticketTypeID)
	if err != nil {
		return err
	}
	if len(bs) == 0 {
		return admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
	}
	current, taken := totals(bs)
	if taken > quantity {
		return admit.FieldError("quantity", "Cannot go below the "+strconv.Itoa(taken)+" tickets already sold or held.")
	}
	if current == quantity {
		return nil
	}
	return rebalance(ctx, tx, orgID, eventID, ticketTypeID, bs, quantity, 0, 0)
}

// bucketSums are the ticket type's reserved and sold, summed over its
// buckets, as columns of a query on ticket_types.
const bucketSums = `(SELECT COALESCE(SUM(b.reserved), 0) FROM ticket_type_buckets b WHERE b.ticket_type_id = ticket_types.id),
	(SELECT COALESCE(SUM(b.sold), 0) FROM ticket_type_buckets b WHERE b.ticket_type_id = ticket_types.id)`
