package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestWaitlistOffer: the organizer offers a freed ticket to the first person
// waiting; the offer holds capacity like a hold, cannot be sent twice, and
// gives the ticket back when it expires.
func TestWaitlistOffer(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	var typeID int64
	f.db.SQL().QueryRow(`SELECT id FROM ticket_types WHERE organization_id = ?`, f.a.org.ID).Scan(&typeID)
	// Sold out.
	_, taken, sold := mysqltest.Ledger(t, f.db, typeID)
	mysqltest.SetLedger(t, f.db, typeID, taken+sold, taken, sold)
	entry := &admit.WaitlistEntry{OrganizationID: f.a.org.ID, EventID: f.a.event.ID, TicketTypeID: typeID, Name: "Wanda <b>", Email: "wanda@example.com"}
	for range 2 { // joining twice keeps one entry
		if err := f.db.JoinWaitlist(ctx, entry); err != nil {
			t.Fatal(err)
		}
	}
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	page := fmt.Sprintf("/console/alpha/events/%d/waitlist", f.a.event.ID)
	st, body := b.get(page)
	if st != 200 || strings.Count(body, "wanda@example.com") != 1 || !strings.Contains(body, "Wanda &lt;b&gt;") {
		t.Fatalf("waiting list page: %d", st)
	}
	var entryID int64
	f.db.SQL().QueryRow(`SELECT id FROM waitlist_entries`).Scan(&entryID)
	offer := fmt.Sprintf("%s/%d/offer", page, entryID)
	if st, _ := b.post(offer, nil); st != http.StatusSeeOther {
		t.Fatalf("offer while sold out: %d", st)
	}
	if _, body := b.get(page); !strings.Contains(body, "No offer sent") {
		t.Error("an offer without capacity was not refused")
	}
	// A ticket becomes free.
	mysqltest.SetLedger(t, f.db, typeID, taken+sold+1, taken, sold)
	b.post(offer, nil)
	_, body = b.get(page)
	if !strings.Contains(body, "Offer sent to wanda@example.com") || !strings.Contains(body, "open until") {
		t.Fatal("offer not shown as sent and open")
	}
	var reserved, emails int
	_, reserved, _ = mysqltest.Ledger(t, f.db, typeID)
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'email.waitlist_offer'`).Scan(&emails)
	if reserved != 1 || emails != 1 {
		t.Fatalf("after the offer: reserved %d, offer emails %d; want 1 and 1", reserved, emails)
	}
	b.post(offer, nil)
	if _, body := b.get(page); !strings.Contains(body, "already has an offer") {
		t.Error("a second offer to the same person was not refused")
	}
	// The offer expires: the sweeper gives the ticket back.
	f.db.SQL().Exec(`UPDATE holds SET expires_at = NOW(6) - INTERVAL 1 SECOND`)
	if _, err := f.db.ReleaseExpiredHolds(ctx, 100); err != nil {
		t.Fatal(err)
	}
	_, reserved, _ = mysqltest.Ledger(t, f.db, typeID)
	if _, body := b.get(page); reserved != 0 || !strings.Contains(body, "expired") {
		t.Errorf("after expiry: reserved %d, want 0 and the offer shown expired", reserved)
	}
	// Another organization sees nothing.
	other := f.newBrowser(t)
	other.mustLogin(f.b.owner.Email)
	if st, _ := other.get(fmt.Sprintf("/console/beta/events/%d/waitlist", f.a.event.ID)); st != http.StatusNotFound {
		t.Errorf("beta on alpha's waiting list: %d", st)
	}
	other.get("/console/beta")
	if st, _ := other.post(fmt.Sprintf("/console/beta/events/%d/waitlist/%d/offer", f.b.event.ID, entryID), nil); st != http.StatusNotFound {
		t.Errorf("beta offering alpha's entry: %d", st)
	}
	_, reserved, _ = mysqltest.Ledger(t, f.db, typeID)
	if reserved != 0 {
		t.Error("another organization's offer took alpha's capacity")
	}
}
