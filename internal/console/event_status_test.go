package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// TestPublishNeedsSomethingToSell: a draft without ticket types, or whose
// only ticket type's sales have ended, is refused publication with the
// reason on the dashboard and stays a draft; once it can sell, it publishes.
func TestPublishNeedsSomethingToSell(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	ctx := context.Background()
	ev := &admit.Event{OrganizationID: f.a.org.ID, Slug: "empty", Name: "Empty", TimeZone: "UTC",
		StartsAt: time.Now().Add(30 * 24 * time.Hour), Currency: "EUR", Status: admit.EventDraft, HoldMinutes: 10}
	if err := f.db.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	loc := fmt.Sprintf("/console/alpha/events/%d", ev.ID)
	if _, body := b.get(loc); !strings.Contains(body, "Before this event can be published") || !strings.Contains(body, "Add a ticket type") {
		t.Error("the draft's dashboard does not say what it lacks")
	}
	publish := func(wantStatus int, want string) {
		t.Helper()
		b.get(loc)
		st, body := b.post(loc+"/status", url.Values{"status": {"published"}})
		if st != wantStatus {
			t.Fatalf("publish: %d, want %d", st, wantStatus)
		}
		if want != "" && (!strings.Contains(body, "Not published") || !strings.Contains(body, want)) {
			t.Errorf("refusal does not name %q", want)
		}
	}
	publish(http.StatusUnprocessableEntity, "Add a ticket type")
	if got := f.eventBySlug(t, f.a.org, "empty").Status; got != admit.EventDraft {
		t.Fatalf("refused event is %s", got)
	}
	ended := &admit.TicketType{OrganizationID: f.a.org.ID, EventID: ev.ID, Name: "Early", Price: 1000, Quantity: 10,
		MinPerOrder: 1, MaxPerOrder: 5, SalesEnd: time.Now().Add(-time.Hour).Truncate(time.Second)}
	if err := f.db.CreateTicketType(ctx, ended); err != nil {
		t.Fatal(err)
	}
	publish(http.StatusUnprocessableEntity, "No ticket type can be sold")
	if f.eventAudited(t, f.a.org, "event.published") {
		t.Error("a refused publication is in the audit log")
	}
	ended.SalesEnd = time.Time{}
	if err := f.db.UpdateTicketType(ctx, ended); err != nil {
		t.Fatal(err)
	}
	publish(http.StatusSeeOther, "")
	if got := f.eventBySlug(t, f.a.org, "empty").Status; got != admit.EventPublished {
		t.Errorf("event is %s after publishing, want published", got)
	}
}
