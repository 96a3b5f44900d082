// Package checkout turns buyers' requests into holds and orders. It puts the
// Redis gate in front of the MySQL ledger: the gate answers sold-out and
// contended requests cheaply, the ledger decides. Both the HTML pages and the
// JSON API call it, so the rules live here once.
package checkout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/payment"
)

// Ledger is what checkout needs from the MySQL storage.
type Ledger interface {
	CachedTicketTypes(ctx context.Context, orgID, eventID int64) ([]*admit.TicketType, error)
	CachedQuestions(ctx context.Context, orgID, eventID int64) ([]*admit.Question, error)
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	CreateHold(ctx context.Context, h *admit.Hold, ttl time.Duration, limits admit.HoldLimits) error
	FindHold(ctx context.Context, id string) (*admit.Hold, error)
	ReleaseHold(ctx context.Context, id string) ([]admit.HoldItem, error)
	ReleaseExpiredHolds(ctx context.Context, limit int) ([]admit.HoldItem, error)
	Availability(ctx context.Context, ticketTypeIDs []int64) (map[int64]int, error)
	OnSaleAvailability(ctx context.Context) (map[int64]int, error)
	PlaceOrderKeyed(ctx context.Context, p admit.PlaceOrder) (*admit.PlacedOrder, error)
	SetPaymentRef(ctx context.Context, orgID, orderID int64, ref string) error
	MarkOrderPaid(ctx context.Context, orgID, orderID int64, paymentRef string) (*admit.Order, bool, error)
	FindOrder(ctx context.Context, orgID, id int64) (*admit.Order, error)
	CancelOrder(ctx context.Context, orgID, orderID int64) ([]admit.HoldItem, error)
	CancelExpiredOrders(ctx context.Context, limit int) ([]admit.HoldItem, error)
	QueuePaymentReminders(ctx context.Context, before time.Duration, limit int) (int, error)
	DeleteOldIdempotencyKeys(ctx context.Context) (int64, error)
	RefundTickets(ctx context.Context, orgID, orderID int64, ticketIDs []int64, byUser int64) (*admit.Refund, error)
	FindDiscountCode(ctx context.Context, orgID, eventID int64, code string) (*admit.DiscountCode, error)
	OfferWaitlist(ctx context.Context, orgID, entryID int64, ttl time.Duration) (*admit.WaitlistEntry, *admit.Hold, error)
	FindRefund(ctx context.Context, orgID, id int64) (*admit.Refund, string, error)
	SetRefundProviderRef(ctx context.Context, orgID, id int64, ref string) error
}

// Gate is the Redis inventory gate (see internal/redis.Inventory).
type Gate interface {
	Take(ctx context.Context, items []admit.HoldItem) (admit.GateResult, error)
	Return(ctx context.Context, items []admit.HoldItem) error
	Init(ctx context.Context, ticketTypeID int64, available int) error
	Set(ctx context.Context, ticketTypeID int64, available int) error
}

// Refunder refunds a payment that arrived for an order that can no longer
// be filled.
type Refunder interface {
	Refund(ctx context.Context, paymentIntentID string, amount int64, idempotencyKey string) (string, error)
}

// Options are the checkout's dependencies.
type Options struct {
	Ledger    Ledger
	Gate      Gate // nil: every request goes to the ledger
	Providers []payment.Provider
	Limits    admit.HoldLimits
	BaseURL   string
	Logger    *slog.Logger
	// StripePendingFor is how long an order waits on a hosted payment page
	// before it is cancelled and its tickets return to sale.
	StripePendingFor time.Duration
	// Secret signs waiting-room passes.
	Secret []byte
	// PaymentReminderBefore is how long before an unpaid offline order
	// expires its buyer is reminded, once; zero: never.
	PaymentReminderBefore time.Duration
	// AutoRoom engages an event's waiting room when arrivals exceed what
	// the system admits; nil: only where the organizer turned it on.
	AutoRoom AutoRoom
}

// Checkout runs holds, orders and payments.
type Checkout struct {
	ledger    Ledger
	gate      Gate
	providers map[string]payment.Provider
	limits    admit.HoldLimits
	baseURL   string
	logger    *slog.Logger
	pending   time.Duration
	secret    []byte
	auto      AutoRoom
	remind    time.Duration
}

// New returns a checkout.
func New(o Options) *Checkout {
	c := &Checkout{ledger: o.Ledger, gate: o.Gate, providers: map[string]payment.Provider{}, limits: o.Limits,
		baseURL: o.BaseURL, logger: o.Logger, pending: o.StripePendingFor, secret: o.Secret,
		auto: o.AutoRoom, remind: o.PaymentReminderBefore}
	for _, p := range o.Providers {
		c.providers[p.Name()] = p
	}
	if c.pending == 0 {
		c.pending = 30 * time.Minute
	}
	return c
}

// SetBaseURL sets the public URL used in links, once the server knows it.
func (c *Checkout) SetBaseURL(u string) { c.baseURL = u }

// BaseURL is the public base URL that links to the pages start with.
func (c *Checkout) BaseURL() string { return c.baseURL }

// PaymentMethods lists the enabled payment providers' names in a stable
// order, for the pages to offer.
func (c *Checkout) PaymentMethods() []string {
	var names []string
	for n := range c.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Client identifies a buyer for the per-buyer hold cap.
type Client struct {
	Key string // the buyer's session
	IP  string
}

// Hold sets tickets aside for the buyer for the event's hold time. Quantities
// of zero are ignored (a form's untouched selects); everything else must be a
// ticket type of this event that is on sale, within its per-order limits.
func (c *Checkout) Hold(ctx context.Context, ev *admit.Event, items []admit.HoldItem, client Client) (*admit.Hold, error) {
	return c.HoldWithCode(ctx, ev, items, client, "")
}

// HoldWithCode is Hold with a discount code: the code must be valid now,
// and it unlocks the hidden ticket types it names. Its use is counted when
// the order is placed.
func (c *Checkout) HoldWithCode(ctx context.Context, ev *admit.Event, items []admit.HoldItem, client Client, code string) (*admit.Hold, error) {
	if ev.Status != admit.EventPublished {
		return nil, admit.Errorf(admit.EINVALID, "Tickets for this event are not on sale.")
	}
	// The definitions come from the per-process cache: what decides is
	// the ledger's guarded statement, not these.
	types, err := c.ledger.CachedTicketTypes(ctx, ev.OrganizationID, ev.ID)
	if err != nil {
		return nil, err
	}
	var dc *admit.DiscountCode
	if admit.NormalizeCode(code) != "" {
		if dc, err = c.ledger.FindDiscountCode(ctx, ev.OrganizationID, ev.ID, code); err != nil {
			return nil, err
		}
		if err := dc.UsableAt(time.Now()); err != nil {
			return nil, err
		}
	}
	items, err = validateItems(items, types, ev, time.Now(), dc)
	if err != nil {
		return nil, err
	}
	gated, err := c.passGate(ctx, items, types)
	if err != nil {
		return nil, err
	}
	h := &admit.Hold{OrganizationID: ev.OrganizationID, EventID: ev.ID, ClientKey: client.Key, ClientIP: client.IP, Items: items}
	if dc != nil {
		h.DiscountCodeID = dc.ID
	}
	hold := time.Duration(ev.HoldMinutes) * time.Minute
	if hold <= 0 {
		hold = admit.DefaultHoldMinutes * time.Minute
	}
	err = c.ledger.CreateHold(ctx, h, hold, c.limits)
	if err != nil && gated {
		// The ledger said no after the gate said yes: give the gate its
		// tickets back, and if the ledger found a type short, correct the
		// gate's counter to the ledger's figure.
		c.returnToGate(ctx, items)
		var de *admit.Error
		if errors.As(err, &de) {
			if s, ok := de.Detail.(admit.Shortage); ok {
				if serr := c.gate.Set(ctx, s.TicketTypeID, s.Remaining); serr != nil {
					c.logger.Warn("inventory gate: resync failed", "ticket_type", s.TicketTypeID, "err", serr)
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return h, nil
}

// passGate asks the Redis gate first. A missing counter is rebuilt from
// MySQL; if Redis is unreachable the ledger alone decides (slower, still
// exact). It reports whether the gate took the items.
func (c *Checkout) passGate(ctx context.Context, items []admit.HoldItem, types []*admit.TicketType) (bool, error) {
	if c.gate == nil {
		return false, nil
	}
	for attempt := 0; attempt < 3; attempt++ {
		res, err := c.gate.Take(ctx, items)
		if err != nil {
			c.logger.Warn("inventory gate unavailable; using the ledger alone", "err", err)
			return false, nil
		}
		switch {
		case res.Admitted:
			return true, nil
		case len(res.Missing) > 0:
			avail, err := c.ledger.Availability(ctx, res.Missing)
			if err != nil {
				return false, err
			}
			for _, id := range res.Missing {
				if err := c.gate.Init(ctx, id, avail[id]); err != nil {
					c.logger.Warn("inventory gate: rebuild failed; using the ledger alone", "err", err)
					return false, nil
				}
			}
		default:
			s := admit.Shortage{TicketTypeID: res.Short, Remaining: res.Left}
			for _, t := range types {
				if t.ID == res.Short {
					s.Name = t.Name
				}
			}
			return false, s.Err()
		}
	}
	return false, nil
}

func (c *Checkout) returnToGate(ctx context.Context, items []admit.HoldItem) {
	if c.gate == nil || len(items) == 0 {
		return
	}
	if err := c.gate.Return(ctx, items); err != nil {
		// The reconciler corrects the counter within seconds.
		c.logger.Warn("inventory gate: return failed", "err", err)
	}
}

// validateItems merges and checks the requested items against the event's
// ticket types; field names are what the pages and the API show.
func validateItems(items []admit.HoldItem, types []*admit.TicketType, ev *admit.Event, now time.Time, dc *admit.DiscountCode) ([]admit.HoldItem, error) {
	byID := map[int64]*admit.TicketType{}
	for _, t := range types {
		byID[t.ID] = t
	}
	merged := map[int64]int{}
	var order []int64
	var p admit.Problems
	for i, it := range items {
		field := "items[" + strconv.Itoa(i) + "]"
		if it.Quantity < 0 {
			p.Add(field+".quantity", "Quantity cannot be negative.")
			continue
		}
		if it.Quantity == 0 {
			continue
		}
		if _, ok := byID[it.TicketTypeID]; !ok {
			p.Add(field+".ticket_type_id", "No such ticket type for this event.")
			continue
		}
		if _, seen := merged[it.TicketTypeID]; !seen {
			order = append(order, it.TicketTypeID)
		}
		merged[it.TicketTypeID] += it.Quantity
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if len(merged) == 0 {
		return nil, admit.FieldError("items", "Choose at least one ticket.")
	}
	out := make([]admit.HoldItem, 0, len(merged))
	for _, id := range order {
		t, q := byID[id], merged[id]
		field := "ticket_type_" + strconv.FormatInt(id, 10)
		switch {
		case t.Hidden && (dc == nil || !dc.Unlocks(t.ID)):
			p.Add(field, "No such ticket type for this event.")
		case t.AvailabilityAt(now, ev.StartsAt) == admit.NotYetOnSale:
			p.Add(field, t.Name+" is not on sale yet.")
		case t.AvailabilityAt(now, ev.StartsAt) == admit.SalesEnded:
			p.Add(field, "Sales of "+t.Name+" have ended.")
		case q < t.MinPerOrder:
			p.Add(field, "Choose at least "+strconv.Itoa(t.MinPerOrder)+" "+t.Name+" tickets.")
		case q > t.MaxPerOrder:
			p.Add(field, "At most "+strconv.Itoa(t.MaxPerOrder)+" "+t.Name+" tickets per order.")
		}
		out = append(out, admit.HoldItem{TicketTypeID: id, Quantity: q})
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// CancelHold releases the buyer's hold now.
func (c *Checkout) CancelHold(ctx context.Context, holdID string) error {
	items, err := c.ledger.ReleaseHold(ctx, holdID)
	if err != nil {
		return err
	}
	c.returnToGate(ctx, items)
	return nil
}

// Placed is the outcome of PlaceOrder.
type Placed struct {
	Order *admit.Order
	// Existing is true when the hold had already become this order (a
	// double submit).
	Existing bool
	// RedirectURL is the hosted payment page to send the buyer to, if any.
	RedirectURL string
}

// PlaceOrder turns the hold into an order. A free order is paid at once; a
// paid one starts its payment with the chosen provider, whose idempotency
// key is the order id, so repeating this for the same hold never creates a
// second order or a second payment. The request is validated against the
// hold as the ledger reads it, in the transaction that places the order.
func (c *Checkout) PlaceOrder(ctx context.Context, holdID string, req admit.OrderRequest) (*Placed, error) {
	k, err := c.PlaceOrderKeyed(ctx, holdID, req, nil, nil)
	if err != nil {
		return nil, err
	}
	return k.Placed, nil
}

// PlaceOrderFor is PlaceOrder for a hold the caller has already read (the
// pages look it up to check whose it is). The ledger reads and rechecks the
// hold, so a stale copy cannot convert an expired or converted hold.
func (c *Checkout) PlaceOrderFor(ctx context.Context, h *admit.Hold, req admit.OrderRequest) (*Placed, error) {
	return c.PlaceOrder(ctx, h.ID, req)
}

// Keyed is the outcome of PlaceOrderKeyed.
type Keyed struct {
	// Placed is this request's order (nil for a replay or an error).
	Placed *Placed
	// Response is what was stored for the key: this request's response,
	// or with Replayed the first request's. Nil if nothing was stored (a
	// failure the client may retry).
	Response *admit.StoredResponse
	Replayed bool
}

// PlaceOrderKeyed is PlaceOrder with an Idempotency-Key: the response the
// key's Render gives is stored in the transaction that places the order,
// and a repeat gets the stored response. Orders paid on a hosted page are
// not for this: their response is known only once the provider answered.
// With authorize, a hold it refuses is not found (before any replay).
func (c *Checkout) PlaceOrderKeyed(ctx context.Context, holdID string, req admit.OrderRequest, key *admit.OrderKey, authorize func(*admit.Hold) bool) (*Keyed, error) {
	pendingFor := time.Duration(0)
	if req.PaymentMethod == admit.PaymentStripe {
		pendingFor = c.pending
	}
	res, err := c.ledger.PlaceOrderKeyed(ctx, admit.PlaceOrder{HoldID: holdID, Request: req, PendingFor: pendingFor, Key: key, Authorize: authorize,
		Check: func(h *admit.Hold, req *admit.OrderRequest) error { return c.checkRequest(ctx, h, req) }})
	out := &Keyed{}
	if res != nil {
		out.Response, out.Replayed = res.Response, res.Replayed
	}
	if err != nil || out.Replayed {
		return out, err
	}
	out.Placed = &Placed{Order: res.Order, Existing: res.Existing}
	if err := c.startPayment(ctx, out.Placed); err != nil {
		return out, err
	}
	return out, nil
}

// checkRequest validates and normalizes the buyer's request for the hold.
func (c *Checkout) checkRequest(ctx context.Context, h *admit.Hold, req *admit.OrderRequest) error {
	req.Normalize()
	if err := req.Validate(h.Quantity()); err != nil {
		return err
	}
	if err := c.checkAnswers(ctx, h, req); err != nil {
		return err
	}
	if req.PaymentMethod != "" && req.PaymentMethod != admit.PaymentFree {
		if _, ok := c.providers[req.PaymentMethod]; !ok {
			return admit.FieldError("payment_method", "This payment method is not available.")
		}
	}
	return nil
}

// startPayment sends a pending order to its provider's hosted page, if it
// has one.
func (c *Checkout) startPayment(ctx context.Context, placed *Placed) error {
	o := placed.Order
	if o.Status != admit.OrderPending {
		return nil
	}
	provider, ok := c.providers[o.PaymentProvider]
	if !ok {
		return nil
	}
	success := c.OrderURL(o)
	started, err := provider.Start(ctx, o, success, success+"&payment=cancelled")
	if err != nil {
		// The order stays pending with its tickets set aside; the buyer can
		// retry the payment from the order page until it expires.
		return err
	}
	if started.Ref != "" && started.Ref != o.PaymentRef {
		if err := c.ledger.SetPaymentRef(ctx, o.OrganizationID, o.ID, started.Ref); err != nil {
			return err
		}
		o.PaymentRef = started.Ref
	}
	placed.RedirectURL = started.RedirectURL
	return nil
}

// checkAnswers validates and normalizes each attendee's answers to the
// questions asked for their ticket type. Attendees come in the hold's
// order: by ticket type id, then one per ticket.
func (c *Checkout) checkAnswers(ctx context.Context, h *admit.Hold, req *admit.OrderRequest) error {
	questions, err := c.ledger.CachedQuestions(ctx, h.OrganizationID, h.EventID)
	if err != nil || len(questions) == 0 {
		for i := range req.Attendees {
			req.Attendees[i].Answers = nil
		}
		return err
	}
	// Attendees follow the ledger's order: by ticket type id.
	items := append([]admit.HoldItem(nil), h.Items...)
	sort.Slice(items, func(i, j int) bool { return items[i].TicketTypeID < items[j].TicketTypeID })
	var p admit.Problems
	i := 0
	for _, it := range items {
		for range it.Quantity {
			given := req.Attendees[i].Answers
			answers := map[int64]string{}
			for _, q := range questions {
				if !q.AskedFor(it.TicketTypeID) {
					continue
				}
				v, problem := q.Answer(given[q.ID])
				if problem != "" {
					p.Add(AnswerField(i, q.ID), problem)
				}
				answers[q.ID] = v
			}
			req.Attendees[i].Answers = answers
			i++
		}
	}
	return p.Err()
}

// AnswerField names an attendee's answer in problems and forms.
func AnswerField(attendee int, questionID int64) string {
	return "attendees[" + strconv.Itoa(attendee) + "].answers[" + strconv.FormatInt(questionID, 10) + "]"
}

// Questions returns the event's questions, for the checkout pages.
func (c *Checkout) Questions(ctx context.Context, orgID, eventID int64) ([]*admit.Question, error) {
	return c.ledger.CachedQuestions(ctx, orgID, eventID)
}

// OrderURL is the buyer's private link to the order.
func (c *Checkout) OrderURL(o *admit.Order) string {
	return c.baseURL + "/o/" + url.PathEscape(o.Reference) + "?token=" + url.QueryEscape(o.AccessToken)
}

// HandlePayment applies a verified provider notification. Duplicates and
// out-of-order deliveries are harmless: paying is a guarded transition, and
// a late payment for a cancelled order is refunded.
func (c *Checkout) HandlePayment(ctx context.Context, n *payment.Notification) error {
	switch n.Kind {
	case payment.Paid:
		o, err := c.ledger.FindOrder(ctx, n.OrganizationID, n.OrderID)
		if err != nil {
			return err
		}
		if n.Amount != 0 && (n.Amount < o.Total || (n.Currency != "" && n.Currency != o.Currency)) {
			c.logger.Error("payment amount does not match the order; not marking it paid",
				"order", o.Reference, "paid", n.Amount, "currency", n.Currency, "total", o.Total)
			return nil
		}
		// The payment intent is what refunds need; keep it over the session id.
		ref := n.Ref
		if n.PaymentIntent != "" {
			ref = n.PaymentIntent
		}
		_, changed, err := c.ledger.MarkOrderPaid(ctx, n.OrganizationID, n.OrderID, ref)
		if admit.ErrorCode(err) == admit.ECONFLICT {
			return c.refundLatePayment(ctx, o, n)
		}
		if err == nil && !changed {
			c.logger.Info("duplicate payment notification ignored", "order", o.Reference, "event", n.EventID)
		}
		return err
	case payment.Expired:
		items, err := c.ledger.CancelOrder(ctx, n.OrganizationID, n.OrderID)
		if err != nil {
			return err
		}
		c.returnToGate(ctx, items)
	}
	return nil
}

func (c *Checkout) refundLatePayment(ctx context.Context, o *admit.Order, n *payment.Notification) error {
	r, ok := c.providers[o.PaymentProvider].(Refunder)
	if !ok || n.PaymentIntent == "" {
		c.logger.Error("payment arrived for a cancelled order and cannot be refunded automatically", "order", o.Reference)
		return nil
	}
	id, err := r.Refund(ctx, n.PaymentIntent, 0, "admit-late-refund-"+strconv.FormatInt(o.ID, 10))
	if err != nil {
		return err
	}
	c.logger.Warn("payment arrived for a cancelled order; refunded", "order", o.Reference, "refund", id)
	return nil
}

// Sweep releases expired holds and cancels expired pending orders, giving
// their tickets back to the ledger and the gate.
func (c *Checkout) Sweep(ctx context.Context) error {
	items, err := c.ledger.ReleaseExpiredHolds(ctx, 500)
	c.returnToGate(ctx, items)
	if err != nil {
		return err
	}
	items, err = c.ledger.CancelExpiredOrders(ctx, 500)
	c.returnToGate(ctx, items)
	return err
}

// RemindUnpaid queues the reminder of unpaid offline orders that are due
// soon. A few seconds late is no matter to a reminder days ahead, so it runs
// with the reconciler rather than every sweep.
func (c *Checkout) RemindUnpaid(ctx context.Context) error {
	if c.remind <= 0 {
		return nil
	}
	_, err := c.ledger.QueuePaymentReminders(ctx, c.remind, 500)
	return err
}

// Reconcile sets every on-sale counter of the gate to the ledger's figure,
// correcting drift (a lost return, a crash between gate and ledger, a
// corrupted key).
func (c *Checkout) Reconcile(ctx context.Context) error {
	if c.gate == nil {
		return nil
	}
	avail, err := c.ledger.OnSaleAvailability(ctx)
	if err != nil {
		return err
	}
	for id, n := range avail {
		if err := c.gate.Set(ctx, id, n); err != nil {
			return err
		}
	}
	return nil
}

// RunMaintenance sweeps every sweepEvery and reconciles every reconcileEvery
// until ctx is done. Every app server runs it: the guarded statements make
// concurrent sweepers safe.
func (c *Checkout) RunMaintenance(ctx context.Context, sweepEvery, reconcileEvery time.Duration) {
	sweep := time.NewTicker(sweepEvery)
	reconcile := time.NewTicker(reconcileEvery)
	cleanup := time.NewTicker(time.Hour)
	defer sweep.Stop()
	defer reconcile.Stop()
	defer cleanup.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			if err := c.Sweep(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("sweeper failed", "err", err)
			}
		case <-reconcile.C:
			if err := c.Reconcile(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("inventory reconcile failed", "err", err)
			}
			if err := c.RemindUnpaid(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("queueing payment reminders failed", "err", err)
			}
		case <-cleanup.C:
			if _, err := c.ledger.DeleteOldIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				c.logger.Warn("idempotency key cleanup failed", "err", err)
			}
		}
	}
}

// MarkPaidByOrganizer records an offline payment of a pending order; it
// reports false if the order was already paid.
func (c *Checkout) MarkPaidByOrganizer(ctx context.Context, orgID, orderID int64) (bool, error) {
	_, changed, err := c.ledger.MarkOrderPaid(ctx, orgID, orderID, "")
	return changed, err
}

// CancelOrder cancels a pending order of the organization and returns its
// tickets to the ledger and the gate.
func (c *Checkout) CancelOrder(ctx context.Context, orgID, orderID int64) error {
	items, err := c.ledger.CancelOrder(ctx, orgID, orderID)
	if err != nil {
		return err
	}
	c.returnToGate(ctx, items)
	return nil
}

// RefundTickets refunds some or all tickets of a paid order: the ledger
// voids them and returns their capacity, then the provider is asked for the
// money back with the refund's id as idempotency key. If the provider call
// fails now, the outbox row written with the refund makes the worker retry
// it; the key makes a retry harmless.
func (c *Checkout) RefundTickets(ctx context.Context, orgID, orderID int64, ticketIDs []int64, byUser int64) (*admit.Refund, error) {
	r, err := c.ledger.RefundTickets(ctx, orgID, orderID, ticketIDs, byUser)
	if err != nil {
		return nil, err
	}
	c.returnToGate(ctx, r.Released)
	if err := c.PerformRefund(ctx, orgID, r.ID); err != nil {
		c.logger.Warn("provider refund failed; the worker will retry it", "refund", r.ID, "err", err)
	}
	return r, nil
}

// PerformRefund asks the payment provider to pay refund id back, once:
// done refunds are skipped and the provider call carries the refund id as
// idempotency key.
func (c *Checkout) PerformRefund(ctx context.Context, orgID, refundID int64) error {
	r, paymentRef, err := c.ledger.FindRefund(ctx, orgID, refundID)
	if err != nil {
		return err
	}
	if r.ProviderRef != "" || r.Amount == 0 {
		return nil
	}
	refunder, ok := c.providers[r.Provider].(Refunder)
	if !ok {
		return nil // offline: the organizer pays back by hand
	}
	if !strings.HasPrefix(paymentRef, "pi_") {
		return fmt.Errorf("refund %d: order has no payment intent to refund (payment ref %q)", refundID, paymentRef)
	}
	id, err := refunder.Refund(ctx, paymentRef, r.Amount, "admit-refund-"+strconv.FormatInt(refundID, 10))
	if err != nil {
		return err
	}
	return c.ledger.SetRefundProviderRef(ctx, orgID, refundID, id)
}

// PassCookie is the cookie that carries a visitor's waiting-room pass for
// the event.
func PassCookie(eventID int64) string { return "admit_pass_" + strconv.FormatInt(eventID, 10) }

// AutoRoom is the waiting room that engages on its own when more visitors
// arrive than the system admits (internal/redis.AutoRoom).
type AutoRoom interface {
	// Arrive counts a visitor without a pass and returns the room's state.
	Arrive(ctx context.Context, eventID int64, now time.Time) admit.Engagement
	// Engaged returns the room's state without counting anyone.
	Engaged(ctx context.Context, eventID int64, now time.Time) admit.Engagement
}

// Admitted reports whether the visitor may see the event's tickets and hold
// them: with a waiting room the organizer turned on, only with a valid pass
// the room gave this visitor; otherwise unless the room engaged on its own
// and the visitor has no pass. A visitor without a pass counts as an
// arrival towards engaging the room; one with a pass does not, so buyers
// the room let through do not keep it engaged.
func (c *Checkout) Admitted(ctx context.Context, ev *admit.Event, visitor, pass string) bool {
	now := time.Now()
	if ev.WaitingRoom {
		return admit.VerifyPass(c.secret, ev.ID, visitor, pass, now)
	}
	if c.auto == nil || (pass != "" && admit.VerifyPass(c.secret, ev.ID, visitor, pass, now)) {
		return true
	}
	return !c.auto.Arrive(ctx, ev.ID, now).On(now)
}

// Room returns the event's waiting room as it stands now: as the organizer
// set it, or, while it is engaged automatically, on, opened at the moment
// it engaged and letting visitors through at the automatic rate.
func (c *Checkout) Room(ctx context.Context, ev *admit.Event) *admit.Event {
	if ev.WaitingRoom || c.auto == nil {
		return ev
	}
	now := time.Now()
	e := c.auto.Engaged(ctx, ev.ID, now)
	if !e.On(now) {
		return ev
	}
	room := *ev
	room.WaitingRoom, room.WaitingRoomOpensAt, room.WaitingRoomRate = true, e.Since, e.RatePerMinute
	return &room
}

// IssuePass returns a pass for the visitor who reached the front.
func (c *Checkout) IssuePass(ev *admit.Event, visitor string) string {
	return admit.SignPass(c.secret, ev.ID, visitor, time.Now().Add(admit.PassLifetime))
}

// ErrWaitingRoom is returned for a hold without a pass while the event's
// waiting room is on, whether the organizer turned it on or it engaged on
// its own.
func ErrWaitingRoom(queueURL string) error {
	return &admit.Error{Code: admit.EWAITINGROOM, Message: "This on-sale has a waiting room: join the queue first.",
		Detail: map[string]string{"queue_url": queueURL}}
}
