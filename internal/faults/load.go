package faults

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/payment"
)

// told is an order as its buyer knows it: what the product answered.
type told struct {
	Buyer      string   `json:"buyer"`
	Kind       string   `json:"kind"`
	Key        string   `json:"idempotency_key"`
	HoldID     string   `json:"hold_id"`
	Reference  string   `json:"reference"`
	References []string `json:"references"` // every reference an answer to the key named
	Tickets    int      `json:"tickets"`
	Paid       bool     `json:"paid"` // the product said "paid"
}

// BuyerSummary counts how buyers fared.
type BuyerSummary struct {
	Started  int `json:"started"`
	Ordered  int `json:"ordered"`
	ToldPaid int `json:"told_paid"`
	SoldOut  int `json:"sold_out"`
	Failed   int `json:"failed"`
	Unpaid   int `json:"pending_never_paid"`
	// UnpaidByKind splits Unpaid by how the buyer paid.
	UnpaidByKind map[string]int `json:"pending_never_paid_by_kind,omitempty"`
	Errors       []string       `json:"first_errors,omitempty"`
	// IntegrationErrors are the first failures of the organizer's
	// integration and of the Stripe notifications the run plays.
	IntegrationErrors []string `json:"first_integration_errors,omitempty"`
}

// load plays buyers at a steady rate: each holds tickets and orders them,
// and a buyer of a paid ticket waits until the product says it is paid.
type load struct {
	api    *client
	fx     *fixture
	tl     *timeline
	o      Options
	ledger *sql.DB // where "Stripe" finds a card order's id

	mu      sync.Mutex
	orders  []*told
	summary BuyerSummary
}

func newLoad(api *client, fx *fixture, tl *timeline, o Options, ledger *sql.DB) *load {
	return &load{api: api, fx: fx, tl: tl, o: o, ledger: ledger}
}

// Run starts buyers until ctx ends, then waits for those in flight.
func (l *load) Run(ctx context.Context) {
	sem := make(chan struct{}, l.o.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(float64(time.Second) * float64(i) / l.o.Rate))
		select {
		case <-time.After(time.Until(at)):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// A buyer in flight finishes even after the load stops.
			l.buy(context.WithoutCancel(ctx), i)
		}()
	}
	wg.Wait()
}

// kindFor spreads buyers over the ticket kinds: about 60% free, 20%
// bank transfer, 10% card (bank transfer without Stripe), 10% the limited
// type.
func (l *load) kindFor(i int) *ticketKind {
	k := kindFree
	switch i % 20 {
	case 0, 10:
		k = kindLimited
	case 1, 6, 11, 16:
		k = kindOffline
	case 3, 13:
		k = kindCard
		if l.fx.kind(kindCard) == nil {
			k = kindOffline
		}
	}
	return l.fx.kind(k)
}

// note records a failure of the organizer's integration or of "Stripe".
func (l *load) note(err string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.summary.IntegrationErrors) < 8 {
		l.summary.IntegrationErrors = append(l.summary.IntegrationErrors, err)
	}
}

func (l *load) fail(err string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.summary.Failed++
	if len(l.summary.Errors) < 8 {
		l.summary.Errors = append(l.summary.Errors, err)
	}
}

func (l *load) buy(ctx context.Context, i int) {
	l.mu.Lock()
	l.summary.Started++
	l.mu.Unlock()
	k := l.kindFor(i)
	h, ok := l.hold(ctx, k)
	if !ok {
		return
	}
	o, t, ok := l.order(ctx, i, k, h)
	if !ok {
		return
	}
	t.Reference = o.Reference
	t.Paid = o.Status == string(admit.OrderPaid)
	l.keep(t)
	if t.Paid {
		l.mu.Lock()
		l.summary.Ordered++
		l.summary.ToldPaid++
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	l.summary.Ordered++
	l.mu.Unlock()
	if k.Kind == kindCard {
		go l.payByCard(ctx, i, o.Reference, o.Total)
	}
	l.waitUntilPaid(ctx, k, t, o)
}

// heldTickets is the checkout API's answer to a hold.
type heldTickets struct{ ID, Secret string }

// placedOrder is the checkout API's answer to an order.
type placedOrder struct {
	Reference  string `json:"reference"`
	Token      string `json:"token"`
	Status     string `json:"status"`
	Total      int64  `json:"total"`
	PaymentURL string `json:"payment_url"`
}

// hold asks for the buyer's tickets; ok is false when they are sold out or
// the request failed (counted either way).
func (l *load) hold(ctx context.Context, k *ticketKind) (h heldTickets, ok bool) {
	holdBody := fmt.Sprintf(`{"items":[{"ticket_type_id":%d,"quantity":%d}]}`, k.Type.ID, k.Quantity)
	t0 := time.Now()
	a := l.api.do(ctx, "POST", "/api/checkout/v1/events/"+l.fx.OrgSlug+"/"+l.fx.EventSlug+"/holds", []byte(holdBody), nil, 30*time.Second, false)
	l.tl.Record("hold", t0, a)
	switch {
	case a.status == http.StatusConflict && a.problemCode() == "sold_out":
		l.mu.Lock()
		l.summary.SoldOut++
		l.mu.Unlock()
		return h, false
	case a.status != http.StatusCreated:
		l.fail("hold " + a.String())
		return h, false
	}
	if err := a.decode(&h); err != nil || h.ID == "" {
		l.fail("hold: no id in " + a.String())
		return h, false
	}
	return h, true
}

// order places the order for hold h, as buyer i; one buyer in seven
// double-clicks. Every reference the buyer was shown is kept in t, even
// when the answer that counts failed.
func (l *load) order(ctx context.Context, i int, k *ticketKind, h heldTickets) (*placedOrder, *told, bool) {
	buyer := fmt.Sprintf("buyer%d-%s@faults.example", i, l.fx.Tag)
	attendees := make([]map[string]string, k.Quantity)
	for j := range attendees {
		attendees[j] = map[string]string{"name": fmt.Sprintf("Attendee %d.%d", i, j+1)}
	}
	orderBody, _ := json.Marshal(map[string]any{"buyer": map[string]string{"name": fmt.Sprintf("Buyer %d", i), "email": buyer},
		"attendees": attendees, "payment_method": k.Payment})
	key := l.fx.Tag + "-order-" + strconv.Itoa(i)
	t := &told{Buyer: buyer, Kind: k.Kind, Key: key, HoldID: h.ID, Tickets: k.Quantity}
	header := map[string]string{"Idempotency-Key": key, "Admit-Hold-Secret": h.Secret}
	path := "/api/checkout/v1/holds/" + h.ID + "/order"
	// A buyer retries for up to two minutes: a key whose first request
	// died mid-way stays "in progress" (409) for a minute before a repeat
	// may take it over.
	const orderWithin = 2 * time.Minute
	// One buyer in seven double-clicks: the same request twice at once.
	var second chan answer
	if i%7 == 0 {
		second = make(chan answer, 1)
		go func() { second <- l.api.do(ctx, "POST", path, orderBody, header, orderWithin, true) }()
	}
	t1 := time.Now()
	a := l.api.do(ctx, "POST", path, orderBody, header, orderWithin, true)
	l.tl.Record("order", t1, a)
	answers := []answer{a}
	if second != nil {
		answers = append(answers, <-second)
	}
	for _, ans := range answers {
		var got struct {
			Reference string `json:"reference"`
		}
		if (ans.status == http.StatusCreated || ans.status == http.StatusOK) && ans.decode(&got) == nil && got.Reference != "" {
			t.References = append(t.References, got.Reference)
		}
	}
	if a.status != http.StatusCreated && a.status != http.StatusOK {
		l.fail("order " + a.String())
		if len(t.References) > 0 {
			l.keep(t)
		}
		return nil, nil, false
	}
	var o placedOrder
	if err := a.decode(&o); err != nil || o.Reference == "" {
		l.fail("order: no reference in " + a.String())
		return nil, nil, false
	}
	return &o, t, true
}

// waitUntilPaid is the buyer on the order page until the product says
// paid, or PayWithin has passed (counted as unpaid by kind).
func (l *load) waitUntilPaid(ctx context.Context, k *ticketKind, t *told, o *placedOrder) {
	deadline := time.Now().Add(l.o.PayWithin)
	statusPath := "/api/checkout/v1/orders/" + url.PathEscape(o.Reference) + "?token=" + url.QueryEscape(o.Token)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		t2 := time.Now()
		a := l.api.do(ctx, "GET", statusPath, nil, nil, 20*time.Second, false)
		l.tl.Record("status", t2, a)
		var st struct {
			Status  string `json:"status"`
			Tickets []any  `json:"tickets"`
		}
		if a.status == http.StatusOK && a.decode(&st) == nil && st.Status == string(admit.OrderPaid) {
			l.mu.Lock()
			t.Paid = true
			l.summary.ToldPaid++
			l.mu.Unlock()
			return
		}
	}
	l.mu.Lock()
	l.summary.Unpaid++
	if l.summary.UnpaidByKind == nil {
		l.summary.UnpaidByKind = map[string]int{}
	}
	l.summary.UnpaidByKind[k.Kind]++
	l.mu.Unlock()
}

func (l *load) keep(t *told) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orders = append(l.orders, t)
}

// payByCard plays Stripe for a card order: the buyer paid on Stripe's
// page, and Stripe sends its signed checkout.session.completed event to
// the webhook endpoint, retrying until it is acknowledged; one payment in
// three is notified twice, as Stripe may. Stripe knows the order id from
// the session's metadata; here it comes from the ledger.
func (l *load) payByCard(ctx context.Context, i int, reference string, total int64) {
	var orderID int64
	for try := 0; try < 60; try++ {
		err := l.ledger.QueryRowContext(ctx, `SELECT id FROM orders WHERE reference = ? AND organization_id = ?`, reference, l.fx.OrgID).Scan(&orderID)
		if err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if orderID == 0 {
		l.note("card payment: order " + reference + " not found in the ledger")
		return
	}
	id := strconv.FormatInt(orderID, 10)
	session := map[string]any{
		"id": "cs_faults_" + id, "object": "checkout.session", "amount_total": total, "currency": "eur",
		"payment_intent": "pi_faults_" + id, "payment_status": "paid", "status": "complete", "mode": "payment",
		"metadata": map[string]any{"order_id": id, "organization_id": strconv.FormatInt(l.fx.OrgID, 10)},
	}
	payload := payment.StripeEventPayload("evt_faults_"+l.fx.Tag+"_"+id, "checkout.session.completed", session)
	times := 1
	if i%3 == 0 {
		times = 2
	}
	for range times {
		header := map[string]string{"Stripe-Signature": payment.SignStripeEvent(l.o.StripeWebhookSecret, payload, time.Now())}
		a := l.api.do(ctx, "POST", "/webhooks/stripe", payload, header, 2*time.Minute, false)
		if a.status != http.StatusOK {
			l.note("stripe event for " + reference + " " + a.String())
		}
	}
}

// Told returns the orders buyers were told about.
func (l *load) Told() []told {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]told, len(l.orders))
	for i, t := range l.orders {
		out[i] = *t
	}
	return out
}

// Summary returns the buyers' outcomes.
func (l *load) Summary() BuyerSummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.summary
}

// runOrganizer is the organizer's accounting integration: every second it
// lists the event's pending bank-transfer orders through /api/v1 and marks
// each paid, with an idempotency key per order.
func runOrganizer(ctx context.Context, api *client, fx *fixture, fail func(string)) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cursor := ""
		for ctx.Err() == nil {
			path := fmt.Sprintf("/api/v1/orders?event=%d&status=pending&limit=200", fx.EventID)
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			a := api.do(ctx, "GET", path, nil, fx.auth(), 10*time.Second, false)
			var page struct {
				Data []struct {
					ID            int64  `json:"id"`
					PaymentMethod string `json:"payment_method"`
				} `json:"data"`
				Next *string `json:"next"`
			}
			if a.status != http.StatusOK || a.decode(&page) != nil {
				if ctx.Err() == nil {
					fail("organizer: listing pending orders " + a.String())
				}
				break
			}
			// Several at once, as a reconciliation job would.
			sem := make(chan struct{}, 8)
			var wg sync.WaitGroup
			for _, o := range page.Data {
				if o.PaymentMethod != admit.PaymentOffline || ctx.Err() != nil {
					continue
				}
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					header := fx.auth()
					header["Idempotency-Key"] = fmt.Sprintf("%s-paid-%d", fx.Tag, o.ID)
					a := api.do(ctx, "POST", fmt.Sprintf("/api/v1/orders/%d/mark-paid", o.ID), nil, header, 10*time.Second, true)
					if a.status != http.StatusOK && ctx.Err() == nil {
						fail(fmt.Sprintf("organizer: marking order %d paid %s", o.ID, a))
					}
				}()
			}
			wg.Wait()
			if page.Next == nil || *page.Next == "" {
				break
			}
			cursor = *page.Next
		}
	}
}
