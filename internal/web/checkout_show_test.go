package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// TestCheckoutPageAnswersToItsBuyer: the details page of a hold opens only
// for the buyer whose cookie made it. A hold made through the API (no
// cookie, a secret instead) never opens as a page: its id may have leaked
// through a log, and the page would hand over its order.
func TestCheckoutPageAnswersToItsBuyer(t *testing.T) {
	f := mustPageFixture(t)
	ctx := context.Background()
	buyer := newBrowser()
	if rec := buyer.get(f, "/e/acme/launch"); rec.Code != http.StatusOK {
		t.Fatalf("event page: %d", rec.Code)
	}
	cookie, ok := buyer.cookies["admit_buyer"]
	if !ok {
		t.Fatal("the event page set no buyer cookie")
	}
	item := []admit.HoldItem{{TicketTypeID: f.tt.ID, Quantity: 1}}
	pages := &admit.Hold{OrganizationID: f.event.OrganizationID, EventID: f.event.ID, ClientKey: cookie.Value, Items: item}
	api := &admit.Hold{OrganizationID: f.event.OrganizationID, EventID: f.event.ID, Items: item}
	for _, h := range []*admit.Hold{pages, api} {
		if err := f.db.CreateHold(ctx, h, time.Minute, admit.HoldLimits{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		b    *browser
		hold *admit.Hold
		want int
	}{
		{"the buyer's own hold", buyer, pages, http.StatusOK},
		{"another visitor", newBrowser(), pages, http.StatusNotFound},
		{"an API hold, by the buyer", buyer, api, http.StatusNotFound},
		{"an API hold, by a visitor", newBrowser(), api, http.StatusNotFound},
	} {
		if rec := tt.b.get(f, "/checkout/"+tt.hold.ID); rec.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
}
