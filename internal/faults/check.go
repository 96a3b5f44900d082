package faults

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/webhook"
)

// CheckResult is one invariant, proved or broken.
type CheckResult struct {
	Name     string   `json:"name"`
	Held     bool     `json:"held"`
	Detail   string   `json:"detail"`
	Problems []string `json:"problems,omitempty"`
	// Warning marks a finding reported on its own that does not break an
	// invariant (a duplicate email in the documented crash window).
	Warning bool `json:"warning,omitempty"`
}

// maxListed bounds the problems listed per check.
const maxListed = 20

func (c *CheckResult) problem(format string, args ...any) {
	c.Held = false
	if len(c.Problems) < maxListed {
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
	} else if len(c.Problems) == maxListed {
		c.Problems = append(c.Problems, "…")
	}
}

// ledgerOrder is an order of the run as MySQL has it.
type ledgerOrder struct {
	ID             int64
	Reference      string
	Status         string
	BuyerEmail     string
	HoldID         string
	Payment        string
	ValidTickets   int
	LiveTickets    int // pending or valid: what takes capacity
	Confirmations  int // email.order_confirmation outbox rows
	PaidEvents     int // webhook.order.paid outbox rows
	ConfirmationAt time.Time
}

// Check proves the invariants for the run's event from the ledger (one
// consistent snapshot), the SES store and the webhook receiver.
func Check(ctx context.Context, db *sql.DB, fx *fixture, told []told, mail *mailCollector, recv *receiver) []CheckResult {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return []CheckResult{{Name: "reading the ledger", Detail: err.Error()}}
	}
	defer tx.Rollback()
	var out []CheckResult
	out = append(out, checkOversell(ctx, tx, fx), checkCounters(ctx, tx, fx))
	orders, events, err := readOrders(ctx, tx, fx)
	if err != nil {
		return append(out, CheckResult{Name: "reading the orders", Detail: err.Error()})
	}
	out = append(out, checkToldPaid(told, orders), checkNoDoubleEffect(told, orders))
	if mail != nil {
		out = append(out, checkEmails(orders, mail)...)
	}
	if recv != nil {
		out = append(out, checkWebhooks(orders, events, recv))
	}
	return out
}

// capacity is, per ticket type of the event, its quantity, the tickets
// that take capacity (pending or valid) and the tickets in active holds.
type capacity struct {
	ID                       int64
	Name                     string
	Quantity, Issued, Held   int
	CountReserved, CountSold int // the ledger's own counters
}

func readCapacity(ctx context.Context, tx *sql.Tx, fx *fixture) ([]capacity, error) {
	rows, err := tx.QueryContext(ctx, `SELECT tt.id, tt.name, tt.quantity,
		(SELECT COUNT(*) FROM tickets t WHERE t.ticket_type_id = tt.id AND t.status IN ('pending', 'valid')),
		(SELECT COALESCE(SUM(hi.quantity), 0) FROM hold_items hi JOIN holds h ON h.id = hi.hold_id
			WHERE hi.ticket_type_id = tt.id AND h.status = 'active')
		FROM ticket_types tt WHERE tt.organization_id = ? AND tt.event_id = ? ORDER BY tt.id`, fx.OrgID, fx.EventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []capacity
	for rows.Next() {
		var c capacity
		if err := rows.Scan(&c.ID, &c.Name, &c.Quantity, &c.Issued, &c.Held); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// checkOversell: tickets issued plus tickets in active holds never exceed
// a ticket type's quantity. It reads tickets and holds, not the counters,
// so it holds whatever shape the counters take.
func checkOversell(ctx context.Context, tx *sql.Tx, fx *fixture) CheckResult {
	c := CheckResult{Name: "no oversell (tickets issued + held <= quantity)", Held: true}
	types, err := readCapacity(ctx, tx, fx)
	if err != nil {
		c.problem("%v", err)
		return c
	}
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s %d+%d/%d", t.Name, t.Issued, t.Held, t.Quantity))
		if t.Issued+t.Held > t.Quantity {
			c.problem("%s (#%d) oversold: %d issued + %d held > quantity %d", t.Name, t.ID, t.Issued, t.Held, t.Quantity)
		}
	}
	c.Detail = strings.Join(parts, "; ")
	return c
}

// counters reads the ledger's counters of a ticket type, summed over the
// buckets its capacity is split into; quantity is the ticket type's own, or
// -1 if the buckets do not add up to it (which is itself a broken ledger).
// Keep this the one place that knows where the counters live.
func counters(ctx context.Context, tx *sql.Tx, ticketTypeID int64) (quantity, reserved, sold int, err error) {
	var split int
	err = tx.QueryRowContext(ctx, `SELECT tt.quantity, COALESCE(SUM(b.quantity), 0), COALESCE(SUM(b.reserved), 0), COALESCE(SUM(b.sold), 0)
		FROM ticket_types tt LEFT JOIN ticket_type_buckets b ON b.ticket_type_id = tt.id WHERE tt.id = ? GROUP BY tt.id`,
		ticketTypeID).Scan(&quantity, &split, &reserved, &sold)
	if err == nil && split != quantity {
		quantity = -1
	}
	return quantity, reserved, sold, err
}

// checkCounters: the ledger's counters agree with the tickets and holds
// they count, and never pass the quantity.
func checkCounters(ctx context.Context, tx *sql.Tx, fx *fixture) CheckResult {
	c := CheckResult{Name: "ledger counters agree with tickets and holds", Held: true}
	types, err := readCapacity(ctx, tx, fx)
	if err != nil {
		c.problem("%v", err)
		return c
	}
	var parts []string
	for _, t := range types {
		q, r, s, err := counters(ctx, tx, t.ID)
		if err != nil {
			c.problem("%s: %v", t.Name, err)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s sold %d reserved %d", t.Name, s, r))
		if q != t.Quantity {
			c.problem("%s: counters' quantity %d, ticket type's %d", t.Name, q, t.Quantity)
		}
		if r+s > q || r < 0 || s < 0 {
			c.problem("%s: reserved %d + sold %d > quantity %d", t.Name, r, s, q)
		}
		if s != t.Issued {
			c.problem("%s: sold %d, but %d tickets issued", t.Name, s, t.Issued)
		}
		if r != t.Held {
			c.problem("%s: reserved %d, but %d held", t.Name, r, t.Held)
		}
	}
	c.Detail = strings.Join(parts, "; ")
	return c
}

// readOrders reads the run's orders with their tickets and side effects,
// and the ids of their order.paid events.
func readOrders(ctx context.Context, tx *sql.Tx, fx *fixture) (map[string]*ledgerOrder, map[int64][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.reference, o.status, o.buyer_email, COALESCE(o.hold_id, ''), o.payment_provider,
		(SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status = 'valid'),
		(SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id AND t.status IN ('pending', 'valid'))
		FROM orders o WHERE o.organization_id = ? AND o.event_id = ?`, fx.OrgID, fx.EventID)
	if err != nil {
		return nil, nil, err
	}
	orders := map[string]*ledgerOrder{}
	byID := map[int64]*ledgerOrder{}
	for rows.Next() {
		o := &ledgerOrder{}
		if err := rows.Scan(&o.ID, &o.Reference, &o.Status, &o.BuyerEmail, &o.HoldID, &o.Payment, &o.ValidTickets, &o.LiveTickets); err != nil {
			rows.Close()
			return nil, nil, err
		}
		orders[o.Reference] = o
		byID[o.ID] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT id, kind, payload, COALESCE(done_at, created_at) FROM outbox
		WHERE organization_id = ? AND kind IN ('email.order_confirmation', 'webhook.order.paid')`, fx.OrgID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	events := map[int64][]string{}
	for rows.Next() {
		var id int64
		var kind, payload string
		var at time.Time
		if err := rows.Scan(&id, &kind, &payload, &at); err != nil {
			return nil, nil, err
		}
		var p struct {
			OrderID int64 `json:"order_id"`
		}
		json.Unmarshal([]byte(payload), &p)
		o := byID[p.OrderID]
		if o == nil {
			continue
		}
		if admit.OutboxKind(kind) == admit.KindOrderConfirmation {
			o.Confirmations++
			o.ConfirmationAt = at
		} else {
			o.PaidEvents++
			events[o.ID] = append(events[o.ID], webhook.MessageID(id))
		}
	}
	return orders, events, rows.Err()
}

// checkToldPaid: every order a buyer was told is paid is in the ledger,
// paid, with all its tickets valid; every order a buyer was told was
// placed exists.
func checkToldPaid(told []told, orders map[string]*ledgerOrder) CheckResult {
	c := CheckResult{Name: "no lost paid order (told paid => paid with its tickets)", Held: true}
	paid := 0
	for _, t := range told {
		if t.Reference == "" {
			continue
		}
		o := orders[t.Reference]
		switch {
		case o == nil:
			c.problem("order %s (%s) that %s was told about is not in the ledger", t.Reference, t.Kind, t.Buyer)
		case t.Paid && o.Status != "paid":
			c.problem("order %s: buyer told paid, ledger says %s", t.Reference, o.Status)
		case t.Paid && o.ValidTickets != t.Tickets:
			c.problem("order %s: %d valid tickets, want %d", t.Reference, o.ValidTickets, t.Tickets)
		}
		if t.Paid {
			paid++
		}
	}
	c.Detail = fmt.Sprintf("%d orders told paid, %d placed", paid, len(told))
	return c
}

// checkNoDoubleEffect: one order per idempotency key, per hold and per
// buyer; each order paid once (one confirmation and one order.paid event
// queued); a paid order has as many tickets as it had.
func checkNoDoubleEffect(told []told, orders map[string]*ledgerOrder) CheckResult {
	c := CheckResult{Name: "no double effect (one order, one payment, one ticket set)", Held: true}
	for _, t := range told {
		refs := map[string]bool{}
		for _, r := range t.References {
			refs[r] = true
		}
		if len(refs) > 1 {
			c.problem("idempotency key %s answered with %d different orders: %v", t.Key, len(refs), t.References)
		}
	}
	perBuyer, perHold := map[string]int{}, map[string]int{}
	doubled := 0
	for _, o := range orders {
		perBuyer[o.BuyerEmail]++
		if o.HoldID != "" {
			perHold[o.HoldID]++
		}
		if o.Confirmations > 1 || o.PaidEvents > 1 {
			doubled++
			c.problem("order %s paid more than once: %d confirmations, %d order.paid events queued", o.Reference, o.Confirmations, o.PaidEvents)
		}
	}
	for b, n := range perBuyer {
		if n > 1 {
			c.problem("buyer %s has %d orders (each buyer placed one)", b, n)
		}
	}
	for h, n := range perHold {
		if n > 1 {
			c.problem("hold %s has %d orders", h, n)
		}
	}
	c.Detail = fmt.Sprintf("%d orders, %d buyers, %d idempotency keys", len(orders), len(perBuyer), len(told))
	return c
}

// checkEmails: every paid order got its confirmation; duplicates are
// reported on their own (the worker can send one twice only if it dies
// between SES's answer and recording it).
func checkEmails(orders map[string]*ledgerOrder, mail *mailCollector) []CheckResult {
	c := CheckResult{Name: "every paid order got its confirmation email", Held: true}
	d := CheckResult{Name: "duplicate confirmation emails (documented crash window)", Held: true, Warning: true}
	got := mail.Confirmations()
	paid, missing, unverifiable, dup := 0, 0, 0, 0
	refs := sortedRefs(orders)
	for _, ref := range refs {
		o := orders[ref]
		if o.Status != "paid" {
			continue
		}
		paid++
		switch n := got[ref]; {
		case n == 0 && mail.inLostWindow(o.ConfirmationAt):
			unverifiable++
		case n == 0:
			missing++
			c.problem("order %s: no confirmation email", ref)
		case n > 1:
			dup++
			d.problem("order %s: %d confirmation emails", ref, n)
		}
	}
	c.Detail = fmt.Sprintf("%d paid orders, %d confirmations seen, %d missing", paid, paid-missing-unverifiable, missing)
	if unverifiable > 0 {
		c.Detail += fmt.Sprintf(", %d sent just before the SES emulator was killed (its store was lost)", unverifiable)
	}
	d.Detail = fmt.Sprintf("%d orders with more than one", dup)
	return []CheckResult{c, d}
}

// checkWebhooks: every order.paid event reached the receiver at least
// once, with a valid signature; every paid order has its event.
func checkWebhooks(orders map[string]*ledgerOrder, events map[int64][]string, recv *receiver) CheckResult {
	c := CheckResult{Name: "every webhook event received (at least once, signed)", Held: true}
	got, forged := recv.Received()
	want, missing, repeats := 0, 0, 0
	for _, ref := range sortedRefs(orders) {
		o := orders[ref]
		if o.Status == "paid" && o.PaidEvents == 0 {
			c.problem("order %s is paid but no order.paid event was queued", ref)
		}
		for _, id := range events[o.ID] {
			want++
			switch n := got[id]; {
			case n == 0:
				missing++
				c.problem("event %s (order %s) never arrived", id, ref)
			case n > 1:
				repeats++
			}
		}
	}
	if forged > 0 {
		c.problem("%d deliveries failed signature verification", forged)
	}
	c.Detail = fmt.Sprintf("%d events, %d missing, %d delivered more than once (allowed)", want, missing, repeats)
	return c
}

func sortedRefs(orders map[string]*ledgerOrder) []string {
	refs := make([]string, 0, len(orders))
	for r := range orders {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	return refs
}

// checkOneWriter proves that one MySQL node took the writes all along:
// two nodes taking writes at once show as certification failures (a local
// commit losing to the other node's write set) or brute-force aborts (a
// local transaction killed by an applied one), which with one writer
// never happen. Counted on the nodes up at the end, since the run's start
// or their restart.
func checkOneWriter(g *mysql.GaleraConflicts) CheckResult {
	c := CheckResult{Name: "one MySQL writer (no Galera conflicts)", Held: true,
		Detail: fmt.Sprintf("%d certification failures, %d brute-force aborts on %d nodes", g.CertFailures, g.BFAborts, g.Nodes)}
	if g.Nodes == 0 {
		c.problem("no Galera node answered at the end")
	}
	if g.CertFailures > 0 || g.BFAborts > 0 {
		c.problem("two nodes took writes at once")
	}
	return c
}
