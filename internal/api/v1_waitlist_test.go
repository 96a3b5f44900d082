package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/admithq/admit/internal/admit"
	client "github.com/admithq/admit/pkg/admit"
)

// mustWaitlistEntry puts email on the waiting list for the ticket type.
func (f *v1Fixture) mustWaitlistEntry(tb testing.TB, t v1Tenant, tt *admit.TicketType, email string) int64 {
	tb.Helper()
	ctx := context.Background()
	e := &admit.WaitlistEntry{OrganizationID: t.org.ID, EventID: t.event.ID, TicketTypeID: tt.ID, Name: "Waiting " + email, Email: email}
	if err := f.db.JoinWaitlist(ctx, e); err != nil {
		tb.Fatal(err)
	}
	return int64(f.count(tb, `SELECT id FROM waitlist_entries WHERE organization_id = ? AND email = ?`, t.org.ID, email))
}

func TestV1Waitlist(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a := f.a
	first := f.mustWaitlistEntry(t, a, a.paid, "grace@example.com")
	second := f.mustWaitlistEntry(t, a, a.paid, "linus@example.com")
	read, write := f.client(a, "read"), f.client(a, "write")

	page, err := read.Waitlist().List(ctx, a.event.ID, client.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || page.Data[0].ID != first || page.Data[0].Email != "grace@example.com" || page.Data[0].OfferState != "" ||
		page.Data[0].TicketTypeID != a.paid.ID || page.Data[0].OfferEndsAt != nil {
		t.Fatalf("waiting list %+v, want grace then linus without offers", page.Data)
	}
	page, err = read.Waitlist().List(ctx, a.event.ID, client.ListParams{Limit: 1})
	if err != nil || len(page.Data) != 1 || page.Next == "" {
		t.Fatalf("first page of one: %+v, %v", page, err)
	}

	offered, err := write.Waitlist().Offer(ctx, first, 24)
	if err != nil {
		t.Fatal(err)
	}
	if offered.ID != first || offered.OfferState != client.OfferOpen || offered.OfferEndsAt == nil || offered.OfferedAt == nil ||
		offered.OfferEndsAt.Sub(*offered.OfferedAt).Round(1e9).Hours() != 24 {
		t.Fatalf("offer %+v, want open for 24 hours", offered)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'email.waitlist_offer' AND organization_id = ?`, a.org.ID); n != 1 {
		t.Errorf("%d offer emails in the outbox, want 1", n)
	}
	reserved, _ := f.counters(t, a.paid)
	if reserved != 1 {
		t.Errorf("reserved %d after the offer, want 1", reserved)
	}
	_, err = write.Waitlist().Offer(ctx, first, 24)
	mustCode(t, err, http.StatusConflict, admit.ECONFLICT, "")

	// The rest of the paid tickets sold: no capacity for the second.
	if _, err := f.client(a, "all").Orders.Create(ctx, client.OrderCreateParams{EventID: a.event.ID, Buyer: client.Person{Name: "B", Email: "b@example.com"},
		Items: []client.OrderItem{{TicketTypeID: a.paid.ID, Quantity: 2}}, PaymentMethod: "offline",
		Attendees: []client.Attendee{{Name: "B"}, {Name: "C"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = write.Waitlist().Offer(ctx, second, 0)
	mustCode(t, err, http.StatusConflict, admit.ESOLDOUT, "")

	page, err = read.Waitlist().List(ctx, a.event.ID, client.ListParams{})
	if err != nil || len(page.Data) != 2 || page.Data[0].OfferState != client.OfferOpen || page.Data[1].OfferState != "" {
		t.Fatalf("waiting list after the offers: %+v, %v", page, err)
	}
	if !f.audited(t, a, "waitlist.offered") {
		t.Error("the offer is not in the audit log")
	}
}

func TestV1WaitlistRefusals(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a, b := f.a, f.b
	entry := f.mustWaitlistEntry(t, a, a.free, "ada@example.com")

	_, err := f.client(b, "all").Waitlist().List(ctx, a.event.ID, client.ListParams{})
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	_, err = f.client(b, "all").Waitlist().Offer(ctx, entry, 48)
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	_, err = f.client(a, "read").Waitlist().Offer(ctx, entry, 48)
	mustCode(t, err, http.StatusForbidden, admit.EFORBIDDEN, "")
	_, err = f.client(a, "write").Waitlist().List(ctx, a.event.ID, client.ListParams{})
	mustCode(t, err, http.StatusForbidden, admit.EFORBIDDEN, "")
	_, err = f.client(a, "write").Waitlist().Offer(ctx, entry, 337)
	mustCode(t, err, http.StatusUnprocessableEntity, admit.EINVALID, "hours")

	r := f.raw(t, "POST", "/api/v1/waitlist/"+id(entry)+"/offer", a.secrets["write"], "application/json", `{"hours":48,"days":2}`, nil)
	if r.status != http.StatusUnprocessableEntity || r.json(t)["field"] != "days" {
		t.Errorf("unknown field: %d %s", r.status, r.body)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM waitlist_entries WHERE hold_id IS NOT NULL`); n != 0 {
		t.Errorf("%d entries have offers after refused requests", n)
	}
}
