package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	client "github.com/admithq/admit/pkg/admit"
)

// TestV1Tickets lists an event's tickets, renames an attendee, syncs with
// changed_since and voids a ticket.
func TestV1Tickets(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	c := f.client(a, "all")
	q, _ := f.mustQuestionAndCode(t, a)
	order, err := c.Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "Ada", Email: "ada@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 2}}, PaymentMethod: "offline", MarkPaid: true,
		Attendees: []client.Attendee{{Name: "Ada", Answers: map[int64]string{q.ID: "M"}}, {Name: "Charles", Email: "charles@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.mustOrder(t, f.b, "")

	var tickets []client.Ticket
	for tk, err := range c.Tickets.All(ctx, a.event.ID, client.ListParams{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk)
	}
	if len(tickets) != 2 || tickets[0].AttendeeName != "Ada" || tickets[0].OrderReference != order.Reference || tickets[0].Status != "valid" ||
		len(tickets[0].Answers) != 1 || tickets[0].Answers[0].Value != "M" || tickets[0].Answers[0].Question != "T-shirt size" {
		t.Fatalf("tickets: %+v", tickets)
	}

	var mark time.Time
	time.Sleep(10 * time.Millisecond)
	if err := f.db.SQL().QueryRow(`SELECT NOW(6)`).Scan(&mark); err != nil {
		t.Fatal(err)
	}
	updated, err := c.Tickets.Update(ctx, tickets[1].ID, client.TicketUpdateParams{AttendeeName: client.String("Charles Babbage")})
	if err != nil || updated.AttendeeName != "Charles Babbage" || updated.AttendeeEmail != "charles@example.com" {
		t.Fatalf("rename: %+v %v", updated, err)
	}
	updated, err = c.Tickets.Update(ctx, tickets[1].ID, client.TicketUpdateParams{AttendeeEmail: client.String("")})
	if err != nil || updated.AttendeeName != "Charles Babbage" || updated.AttendeeEmail != "" {
		t.Fatalf("clearing the email: %+v %v", updated, err)
	}
	_, err = c.Tickets.Update(ctx, tickets[1].ID, client.TicketUpdateParams{AttendeeEmail: client.String("charles@")})
	mustCode(t, err, 422, "invalid", "attendee_email")
	_, err = c.Tickets.Update(ctx, tickets[1].ID, client.TicketUpdateParams{AttendeeName: client.String("  ")})
	mustCode(t, err, 422, "invalid", "attendee_name")
	_, err = c.Tickets.Update(ctx, tickets[1].ID, client.TicketUpdateParams{})
	mustCode(t, err, 422, "invalid", "attendee_name")
	if !f.audited(t, a, "ticket.renamed") {
		t.Error("the rename is not in the audit log")
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'webhook.ticket.updated'`); n != 2 {
		t.Errorf("%d ticket.updated webhooks queued, want 2", n)
	}

	changed, err := c.Tickets.List(ctx, a.event.ID, client.ListParams{ChangedSince: mark})
	if err != nil || len(changed.Data) != 1 || changed.Data[0].ID != tickets[1].ID {
		t.Errorf("changed since the mark: %+v %v", changed, err)
	}

	// Void: refunded, its place back on sale; again is a conflict.
	got, err := c.Tickets.Get(ctx, tickets[0].ID)
	if err != nil || got.Code != tickets[0].Code {
		t.Fatalf("get: %+v %v", got, err)
	}
	void, err := c.Tickets.Void(ctx, tickets[0].ID)
	if err != nil || void.Status != "void" {
		t.Fatalf("void: %+v %v", void, err)
	}
	if _, sold := f.counters(t, a.paid); sold != 1 {
		t.Errorf("sold %d after voiding one of two, want 1", sold)
	}
	o, err := c.Orders.Get(ctx, order.ID)
	if err != nil || o.RefundedTotal != 5000 || o.Status != "paid" {
		t.Errorf("order after the void: %+v %v", o, err)
	}
	_, err = c.Tickets.Void(ctx, tickets[0].ID)
	mustCode(t, err, 409, "conflict", "")
	_, err = c.Tickets.Update(ctx, tickets[0].ID, client.TicketUpdateParams{AttendeeName: client.String("Ghost")})
	mustCode(t, err, 409, "conflict", "")
	pending := f.mustOrder(t, a, "offline")
	_, err = c.Tickets.Void(ctx, pending.Tickets[0].ID)
	mustCode(t, err, 409, "conflict", "")
	_, err = c.Tickets.Get(ctx, 987654)
	mustCode(t, err, 404, "not_found", "")
}

// TestV1CheckIn: a scanner syncs its list, checks tickets in, is refused
// for the right reasons, and undoes a check-in.
func TestV1CheckIn(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	scanner := f.client(a, "checkin")
	paid := f.mustOrder(t, a, "")
	pending := f.mustOrder(t, a, "offline")
	refunded := f.mustOrder(t, a, "")
	if _, err := f.client(a, "all").Tickets.Void(ctx, refunded.Tickets[0].ID); err != nil {
		t.Fatal(err)
	}

	lists, err := scanner.CheckInLists.List(ctx, a.event.ID, client.ListParams{})
	if err != nil || len(lists.Data) != 1 || lists.Data[0].Name != "Main entrance" || lists.Data[0].Admitted != 1 || lists.Data[0].CheckedIn != 0 {
		t.Fatalf("lists: %+v %v", lists, err)
	}
	sync := map[string]client.ListTicket{}
	for tk, err := range scanner.CheckInLists.AllTickets(ctx, a.list.ID, client.ListParams{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		sync[tk.Code] = tk
	}
	if len(sync) != 3 || !sync[paid.Tickets[0].Code].Admits || sync[pending.Tickets[0].Code].Admits || sync[refunded.Tickets[0].Code].Status != "void" {
		t.Fatalf("sync: %+v", sync)
	}
	var mark time.Time
	time.Sleep(10 * time.Millisecond)
	if err := f.db.SQL().QueryRow(`SELECT NOW(6)`).Scan(&mark); err != nil {
		t.Fatal(err)
	}

	code := paid.Tickets[0].Code
	r, err := scanner.CheckInLists.CheckIn(ctx, a.list.ID, code[:4]+"-"+code[4:])
	if err != nil || r.Outcome != "ok" || r.CheckIn == nil || r.Ticket.AttendeeName != "Ada" || r.Ticket.CheckInID == nil {
		t.Fatalf("check-in: %+v %v", r, err)
	}
	first := r.CheckIn.ID
	for _, tt := range []struct {
		name, code, outcome string
		status              int
	}{
		{"twice", code, client.CheckInAlready, 409},
		{"pending order", pending.Tickets[0].Code, client.CheckInPending, 409},
		{"void ticket", refunded.Tickets[0].Code, client.CheckInVoid, 409},
		{"unknown code", "nosuchcode", client.CheckInUnknown, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := scanner.CheckInLists.CheckIn(ctx, a.list.ID, tt.code)
			e := mustCode(t, err, tt.status, map[int]string{409: "conflict", 404: "not_found"}[tt.status], "")
			if r == nil || r.Outcome != tt.outcome || len(e.Detail) == 0 {
				t.Errorf("result %+v, want outcome %s", r, tt.outcome)
			}
		})
	}
	// Wrong list: a list that admits only the paid type.
	r2 := f.raw(t, "POST", "/api/v1/checkin-lists/"+id(f.mustList(t, a, "VIP door", a.paid.ID))+"/checkins", a.secrets["checkin"],
		"application/json", `{"code":"`+code+`"}`, nil)
	if r2.status != 409 || r2.json(t)["detail"].(map[string]any)["outcome"] != "wrong_list" {
		t.Errorf("wrong list: %d %s", r2.status, r2.body)
	}

	// The sync since the mark shows the checked-in ticket only.
	changed, err := scanner.CheckInLists.Tickets(ctx, a.list.ID, client.ListParams{ChangedSince: mark})
	if err != nil || len(changed.Data) != 1 || changed.Data[0].Code != code || changed.Data[0].CheckInID == nil || *changed.Data[0].CheckInID != first {
		t.Fatalf("sync since the mark: %+v %v", changed, err)
	}
	list, err := scanner.CheckInLists.Get(ctx, a.list.ID)
	if err != nil || list.CheckedIn != 1 {
		t.Errorf("list progress: %+v %v", list, err)
	}

	// Undo, twice: the ticket can be checked in again.
	undone, err := scanner.CheckInLists.UndoCheckIn(ctx, a.list.ID, first)
	if err != nil || undone.UndoneAt == nil {
		t.Fatalf("undo: %+v %v", undone, err)
	}
	if again, err := scanner.CheckInLists.UndoCheckIn(ctx, a.list.ID, first); err != nil || again.UndoneAt == nil {
		t.Errorf("second undo: %+v %v", again, err)
	}
	_, err = scanner.CheckInLists.UndoCheckIn(ctx, a.list.ID, 987654)
	mustCode(t, err, 404, "not_found", "")
	if r, err := scanner.CheckInLists.CheckIn(ctx, a.list.ID, code); err != nil || r.Outcome != "ok" {
		t.Errorf("check-in after the undo: %+v %v", r, err)
	}
	var all []client.CheckIn
	for ci, err := range scanner.CheckInLists.AllCheckIns(ctx, a.list.ID, client.ListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ci)
	}
	if len(all) != 2 || all[0].UndoneAt == nil || all[1].UndoneAt != nil {
		t.Errorf("check-ins: %+v", all)
	}
	if !f.audited(t, a, "checkin.created") || !f.audited(t, a, "checkin.undone") {
		t.Error("check-ins are not in the audit log")
	}
}

func (f *v1Fixture) mustList(tb testing.TB, t v1Tenant, name string, types ...int64) int64 {
	tb.Helper()
	l := &admit.CheckInList{OrganizationID: t.org.ID, EventID: t.event.ID, Name: name, TicketTypeIDs: types}
	if err := f.db.CreateCheckInList(context.Background(), l); err != nil {
		tb.Fatal(err)
	}
	return l.ID
}

// TestV1DiscountCodesAndQuestions lists and creates codes, lists questions.
func TestV1DiscountCodesAndQuestions(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	c := f.client(a, "all")
	q, existing := f.mustQuestionAndCode(t, a)
	until := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	dc, err := c.DiscountCodes.Create(ctx, a.event.ID, client.DiscountCodeCreateParams{Code: "early-bird", Kind: "fixed", Value: 1000,
		MaxUses: client.Int(100), ValidUntil: &until, TicketTypeIDs: []int64{a.paid.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if dc.Code != "EARLY-BIRD" || dc.Kind != "fixed" || dc.Value != 1000 || dc.MaxUses == nil || *dc.MaxUses != 100 || dc.Used != 0 ||
		dc.ValidUntil == nil || !dc.ValidUntil.Equal(until) || len(dc.TicketTypeIDs) != 1 {
		t.Fatalf("created code: %+v", dc)
	}
	_, err = c.DiscountCodes.Create(ctx, a.event.ID, client.DiscountCodeCreateParams{Code: "Early-Bird", Kind: "percent", Value: 500})
	mustCode(t, err, 422, "invalid", "code")
	_, err = c.DiscountCodes.Create(ctx, a.event.ID, client.DiscountCodeCreateParams{Code: "OTHER", Kind: "percent", Value: 500,
		TicketTypeIDs: []int64{f.b.paid.ID}})
	mustCode(t, err, 422, "invalid", "ticket_types")
	_, err = c.DiscountCodes.Create(ctx, a.event.ID, client.DiscountCodeCreateParams{Code: "MANY", Kind: "percent", Value: 20000})
	mustCode(t, err, 422, "invalid", "value")
	if !f.audited(t, a, "discount_code.created") {
		t.Error("the new code is not in the audit log")
	}
	var codes []string
	for d, err := range c.DiscountCodes.All(ctx, a.event.ID, client.ListParams{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, d.Code)
	}
	if len(codes) != 2 || codes[0] != existing.Code || codes[1] != "EARLY-BIRD" {
		t.Errorf("codes: %v", codes)
	}
	questions, err := c.Questions.List(ctx, a.event.ID, client.ListParams{})
	if err != nil || len(questions.Data) != 1 || questions.Data[0].ID != q.ID || len(questions.Data[0].Options) != 3 ||
		questions.Data[0].TicketTypeIDs[0] != a.paid.ID {
		t.Errorf("questions: %+v %v", questions, err)
	}
	types, err := c.TicketTypes.List(ctx, a.event.ID, client.ListParams{})
	if err != nil || len(types.Data) != 2 || types.Data[1].Price != 5000 || types.Data[1].Currency != "EUR" || types.Data[1].Available != 3 {
		t.Errorf("ticket types: %+v %v", types, err)
	}
	tt, err := c.TicketTypes.Get(ctx, a.paid.ID)
	if err != nil || tt.Name != "Paid" || tt.EventID != a.event.ID {
		t.Errorf("ticket type: %+v %v", tt, err)
	}
	ev, err := c.Events.Get(ctx, a.event.ID)
	if err != nil || ev.Slug != "conf" || ev.Currency != "EUR" || ev.StartsAt.Location() != time.UTC {
		t.Errorf("event: %+v %v", ev, err)
	}
}
