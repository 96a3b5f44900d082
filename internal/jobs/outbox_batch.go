package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
)

// ProcessTask is the asynq handler of TypeOutbox tasks.
func (h *Outbox) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var t outboxTask
	if err := json.Unmarshal(task.Payload(), &t); err != nil {
		return fmt.Errorf("outbox task with a bad payload: %w", asynq.SkipRetry)
	}
	ids := t.IDs
	if t.ID != 0 {
		ids = append(ids, t.ID)
	}
	if len(ids) == 0 {
		return fmt.Errorf("outbox task without rows: %w", asynq.SkipRetry)
	}
	return h.PerformBatch(ctx, ids)
}

// Perform does the side effect of outbox row id once: a batch of one.
func (h *Outbox) Perform(ctx context.Context, id int64) error {
	return h.PerformBatch(ctx, []int64{id})
}

// batch is what a batch of rows needs, read for all of them at once.
type batch struct {
	orders map[admit.OrderRef]*admit.Order
	events map[eventKey]*admit.Event
	when   map[eventKey]string // the event's dates as emails word them
	orgs   map[int64]*admit.Organization
}

type eventKey struct{ orgID, eventID int64 }

// order returns the order the payload of row names, if the batch read it.
func (b *batch) order(row *admit.OutboxRow, p admit.OutboxPayload) *admit.Order {
	return b.orders[admit.OrderRef{OrganizationID: row.OrganizationID, ID: orderOf(p)}]
}

// orderOf is the order a payload is about, or 0: an order email's, a
// refund email's, or an order event's (a ticket event is about the ticket).
func orderOf(p admit.OutboxPayload) int64 {
	switch p := p.(type) {
	case admit.OrderEmail:
		return p.OrderID
	case admit.RefundEmail:
		return p.OrderID
	case admit.WebhookEvent:
		if p.TicketID == 0 {
			return p.OrderID
		}
	}
	return 0
}

// defaultParallel is how many side effects a worker performs at once unless
// told otherwise: enough to keep SES busy while PDFs render.
const defaultParallel = 16

func (h *Outbox) init() {
	h.once.Do(func() {
		n := h.Parallel
		if n <= 0 {
			n = defaultParallel
		}
		h.slots = make(chan struct{}, n)
		if h.SendTimeout <= 0 {
			h.SendTimeout = 20 * time.Second
		}
		h.events = newRecent[eventKey, *admit.Event](time.Second)
		h.orgs = newRecent[int64, *admit.Organization](time.Second)
		// An event's key never changes once made.
		h.ticketKeys = newRecent[eventKey, *admit.TicketKey](10 * time.Minute)
	})
}

// PerformBatch does the side effects of the outbox rows ids once each:
//   - it claims the rows (Claims), skipping those another batch holds;
//   - it reads them, then the orders they name with their lines, tickets
//     and answers, one query per table for the whole batch; events and
//     organizations come from a cache of a second;
//   - it performs each row that is not done, Parallel at a time across the
//     worker, an email's send with its own timeout: a slow or failing one
//     holds up no other;
//   - it records the done rows in one statement and the failed ones in
//     another (a failed row is tried again after its backoff, see
//     mysql.DB.DueOutbox).
//
// It fails (and asynq retries it) only when the rows cannot be read or the
// outcome cannot be recorded.
func (h *Outbox) PerformBatch(ctx context.Context, ids []int64) error {
	h.init()
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	held := ids
	if h.Claims != nil {
		owner := claimOwner(ctx)
		var err error
		if held, err = h.Claims.Claim(ctx, owner, ids, claimLease(ctx)); err != nil {
			return fmt.Errorf("claiming outbox rows: %w", err)
		}
		defer func() {
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := h.Claims.Release(release, owner, held); err != nil {
				h.Logger.Warn("releasing outbox rows; they stay claimed until the lease ends", "err", err)
			}
		}()
	}
	rows, err := h.Store.FindOutboxRows(ctx, held)
	if err != nil {
		return err
	}
	var pending []admit.OutboxRow
	found := map[int64]bool{}
	for _, row := range rows {
		found[row.ID] = true
		if !row.Done {
			pending = append(pending, row)
		}
	}
	results, err := h.performRows(ctx, pending)
	if err != nil {
		return err
	}
	if err := h.record(ctx, results); err != nil {
		return err
	}
	var missing []int64
	for _, id := range held {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		// The relay saw these rows, so they exist: not finding them is a
		// read that reached a database node behind the one that committed
		// them (seen when MySQL fails over). Try again a few times before
		// deciding the task is bogus.
		if n, _ := asynq.GetRetryCount(ctx); n < 5 {
			return fmt.Errorf("outbox rows %v not found (yet)", missing)
		}
		h.Logger.Warn("outbox rows not found; given up", "outbox", missing)
	}
	return nil
}

// performRows reads what the rows need and performs each, concurrently, and
// returns what each came to.
func (h *Outbox) performRows(ctx context.Context, rows []admit.OutboxRow) ([]admit.OutboxResult, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	payloads := make([]admit.OutboxPayload, len(rows))
	results := make([]admit.OutboxResult, len(rows))
	for i, row := range rows {
		results[i].ID = row.ID
		p, err := admit.DecodeOutbox(row.Kind, row.Payload)
		if err != nil {
			results[i].Err = fmt.Sprintf("outbox %d: %v", row.ID, err)
		}
		payloads[i] = p
	}
	b, err := h.read(ctx, rows, payloads)
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	attempted := make([]bool, len(rows))
start:
	for i := range rows {
		if results[i].Err != "" {
			attempted[i] = true
			continue
		}
		select {
		case h.slots <- struct{}{}:
		case <-ctx.Done():
			// Out of time (or shutting down): the rest are left as they
			// are, to be handed over again.
			break start
		}
		attempted[i] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-h.slots }()
			defer func() {
				// A row that trips a bug fails alone.
				if x := recover(); x != nil {
					results[i].Err = fmt.Sprintf("panic: %v", x)
				}
			}()
			res, err := h.perform(ctx, &rows[i], payloads[i], b)
			if err != nil {
				results[i].Err = err.Error()
			} else {
				results[i].Result = res
			}
		}()
	}
	wg.Wait()
	var out []admit.OutboxResult
	for i, r := range results {
		if attempted[i] {
			out = append(out, r)
		}
	}
	return out, nil
}

// read loads what the rows need: their orders (with lines, tickets and
// answers only where an email or a webhook shows them), and the events and
// organizations of the orders that send an email.
func (h *Outbox) read(ctx context.Context, rows []admit.OutboxRow, payloads []admit.OutboxPayload) (*batch, error) {
	b := &batch{orders: map[admit.OrderRef]*admit.Order{}, events: map[eventKey]*admit.Event{}, when: map[eventKey]string{},
		orgs: map[int64]*admit.Organization{}}
	needsOrder := func(i int) bool {
		row, p := rows[i], payloads[i]
		if orderOf(p) == 0 {
			return false
		}
		if row.Kind.IsOrderEmail() {
			return true
		}
		// A webhook event about an order, for an organization with an
		// endpoint that wants it.
		return h.Webhooks != nil && row.Subscribed
	}
	var keys []admit.OrderRef
	for i := range rows {
		if needsOrder(i) {
			keys = append(keys, admit.OrderRef{OrganizationID: rows[i].OrganizationID, ID: orderOf(payloads[i])})
		}
	}
	if len(keys) == 0 {
		return b, nil
	}
	orders, err := h.Store.FindOrders(ctx, keys)
	if err != nil {
		return nil, err
	}
	b.orders = orders
	detailed := map[int64]bool{}
	var details []*admit.Order
	for i, row := range rows {
		o := orders[admit.OrderRef{OrganizationID: row.OrganizationID, ID: orderOf(payloads[i])}]
		if o == nil || !needsOrder(i) {
			continue
		}
		// Rows that will be skipped (the order.placed of a paid order,
		// the confirmation of an order no longer paid) need no more than
		// the order itself.
		switch row.Kind {
		case admit.KindOrderPlaced, admit.KindPaymentReminder:
			if o.Status != admit.OrderPending || o.PaymentProvider != admit.PaymentOffline {
				continue
			}
		case admit.KindOrderConfirmation:
			if o.Status != admit.OrderPaid {
				continue
			}
		}
		if !detailed[o.ID] {
			detailed[o.ID] = true
			details = append(details, o)
		}
		if !row.Kind.IsOrderEmail() {
			continue
		}
		if err := h.readEmailContext(ctx, b, o); err != nil {
			return nil, err
		}
	}
	if err := h.Store.LoadOrderDetails(ctx, details); err != nil {
		return nil, err
	}
	return b, nil
}

// readEmailContext adds to b the event and organization that an email
// about o names, once per batch; one deleted since is left out.
func (h *Outbox) readEmailContext(ctx context.Context, b *batch, o *admit.Order) error {
	key := eventKey{o.OrganizationID, o.EventID}
	if _, ok := b.events[key]; !ok {
		ev, err := h.event(ctx, o.OrganizationID, o.EventID)
		if err != nil && admit.ErrorCode(err) != admit.ENOTFOUND {
			return err
		}
		if ev != nil {
			b.events[key], b.when[key] = ev, When(ev)
		}
	}
	if _, ok := b.orgs[o.OrganizationID]; !ok {
		org, err := h.organization(ctx, o.OrganizationID)
		if err != nil && admit.ErrorCode(err) != admit.ENOTFOUND {
			return err
		}
		if org != nil {
			b.orgs[o.OrganizationID] = org
		}
	}
	return nil
}

// record stores what the rows came to and logs the failures.
func (h *Outbox) record(ctx context.Context, results []admit.OutboxResult) error {
	if len(results) == 0 {
		return nil
	}
	// The effects have happened: record them even if the task's time is up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	recorded, err := h.Store.RecordOutboxResults(ctx, results)
	if err != nil {
		return err
	}
	var failed []int64
	var firstErr string
	for _, r := range results {
		if r.Err != "" {
			if firstErr == "" {
				firstErr = r.Err
			}
			failed = append(failed, r.ID)
		}
	}
	if len(failed) > 0 {
		h.Logger.Warn("side effects failed; each is tried again after its backoff", "outbox", failed, "first_err", firstErr)
	}
	if done := len(results) - len(failed); recorded < done {
		h.Logger.Warn("side effects were performed twice (another worker recorded them first)", "count", done-recorded)
	}
	return nil
}

// event returns the organization's event from the cache or the database.
func (h *Outbox) event(ctx context.Context, orgID, id int64) (*admit.Event, error) {
	h.init()
	key := eventKey{orgID, id}
	if ev, ok := h.events.get(key); ok {
		return ev, nil
	}
	ev, err := h.Store.FindEvent(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	h.events.set(key, ev)
	return ev, nil
}

// ticketKey returns the event's ticket-signing key from the cache or the
// database.
func (h *Outbox) ticketKey(ctx context.Context, orgID, eventID int64) (*admit.TicketKey, error) {
	h.init()
	key := eventKey{orgID, eventID}
	if k, ok := h.ticketKeys.get(key); ok {
		return k, nil
	}
	k, err := h.Store.TicketKey(ctx, orgID, eventID)
	if err != nil {
		return nil, err
	}
	h.ticketKeys.set(key, k)
	return k, nil
}

// organization returns the organization from the cache or the database.
func (h *Outbox) organization(ctx context.Context, id int64) (*admit.Organization, error) {
	if org, ok := h.orgs.get(id); ok {
		return org, nil
	}
	org, err := h.Store.FindOrganization(ctx, id)
	if err != nil {
		return nil, err
	}
	h.orgs.set(id, org)
	return org, nil
}

// claimOwner names the batch in its claims: the asynq task's id, so that
// the same task run again (asynq gives a dead worker's tasks back) takes
// its rows back at once; a fresh token outside asynq.
func claimOwner(ctx context.Context) string {
	if id, ok := asynq.GetTaskID(ctx); ok {
		return "task:" + id
	}
	var b [12]byte
	rand.Read(b[:])
	return "run:" + hex.EncodeToString(b[:])
}

// claimLease is how long a batch's claims last: past the task's deadline,
// after which asynq gives up on the batch (and may run it again).
func claimLease(ctx context.Context) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return time.Until(deadline) + 15*time.Second
	}
	return 2 * time.Minute
}

// recent keeps what rarely changes (events, organizations) in this process
// for a moment: a batch of a thousand confirmations for one event reads the
// event once, and an organizer's change shows in emails within the moment.
// The values are shared: callers do not change them.
type recent[K comparable, V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[K]recentEntry[V]
}

type recentEntry[V any] struct {
	value   V
	expires time.Time
}

func newRecent[K comparable, V any](ttl time.Duration) *recent[K, V] {
	return &recent[K, V]{ttl: ttl, entries: map[K]recentEntry[V]{}}
}

func (r *recent[K, V]) get(key K) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[key]
	if !ok || time.Now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

func (r *recent[K, V]) set(key K, value V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.entries) >= 1000 {
		// Bounded memory: start over rather than track recency; entries
		// live a second anyway.
		r.entries = map[K]recentEntry[V]{}
	}
	r.entries[key] = recentEntry[V]{value: value, expires: time.Now().Add(r.ttl)}
}
