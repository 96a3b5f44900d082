package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// mustEventOrg signs up an organization and gives it an event with one
// ticket type of 10.
func mustEventOrg(tb testing.TB, db *mysql.DB, slug string) (*admit.Organization, *admit.Event, *admit.TicketType) {
	tb.Helper()
	ctx := context.Background()
	org := &admit.Organization{Slug: slug, Name: slug}
	if err := db.SignUp(ctx, org, &admit.User{Email: slug + "@example.com", Name: slug, PasswordHash: "x"}); err != nil {
		tb.Fatal(err)
	}
	ev := &admit.Event{OrganizationID: org.ID, Slug: "conf", Name: slug + " conf", TimeZone: "UTC",
		StartsAt: time.Now().Add(720 * time.Hour).Truncate(time.Second), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, ev); err != nil {
		tb.Fatal(err)
	}
	tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "GA", Price: 1000, Quantity: 10, MinPerOrder: 1, MaxPerOrder: 10}
	if err := db.CreateTicketType(ctx, tt); err != nil {
		tb.Fatal(err)
	}
	return org, ev, tt
}

// TestEventUpdate: an update is scoped by organization, keeps the status,
// refuses a taken slug, and changes the currency only while there are no
// orders.
func TestEventUpdate(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	a, ev, _ := mustEventOrg(t, db, "alpha")
	b, evB, _ := mustEventOrg(t, db, "beta")

	foreign := *ev
	foreign.OrganizationID = b.ID
	foreign.Name = "Hijacked"
	if err := db.UpdateEvent(ctx, &foreign); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("update through another organization: %v, want not found", err)
	}
	changed := *ev
	changed.Name, changed.Currency, changed.Status = "Renamed", "USD", admit.EventArchived
	if err := db.UpdateEvent(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	got, _ := db.FindEvent(ctx, a.ID, ev.ID)
	if got.Name != "Renamed" || got.Currency != "USD" || got.Status != admit.EventPublished {
		t.Errorf("after update: name %q currency %s status %s", got.Name, got.Currency, got.Status)
	}
	if err := db.UpdateEvent(ctx, &changed); err != nil {
		t.Errorf("an update that changes nothing: %v", err)
	}
	if evB, _ := db.FindEvent(ctx, b.ID, evB.ID); evB.Name != "beta conf" {
		t.Errorf("beta's event is %q", evB.Name)
	}

	other := &admit.Event{OrganizationID: a.ID, Slug: "other", Name: "Other", TimeZone: "UTC", StartsAt: time.Now(), Currency: "EUR", HoldMinutes: 10}
	if err := db.CreateEvent(ctx, other); err != nil {
		t.Fatal(err)
	}
	other.Slug = "conf"
	if err := db.UpdateEvent(ctx, other); admit.ErrorCode(err) != admit.EINVALID || !strings.Contains(err.Error(), "field=slug") {
		t.Errorf("taken slug: %v", err)
	}

	if _, err := db.SQL().Exec(`INSERT INTO orders (organization_id, event_id, reference, access_token, buyer_name, buyer_email, total, currency)
		VALUES (?, ?, 'AAA-BBBB', 'token', 'B', 'b@example.com', 0, 'USD')`, a.ID, ev.ID); err != nil {
		t.Fatal(err)
	}
	changed.Currency = "GBP"
	if err := db.UpdateEvent(ctx, &changed); admit.ErrorCode(err) != admit.EINVALID || !strings.Contains(err.Error(), "field=currency") {
		t.Errorf("currency change with an order: %v", err)
	}
	changed.Currency, changed.Name = "USD", "Renamed again"
	if err := db.UpdateEvent(ctx, &changed); err != nil {
		t.Errorf("update keeping the currency with an order: %v", err)
	}
	if got, _ := db.FindEvent(ctx, a.ID, ev.ID); got.Currency != "USD" || got.Name != "Renamed again" {
		t.Errorf("after updates: %s %q", got.Currency, got.Name)
	}
}

// TestEventStatus: only allowed transitions, guarded by the status the
// caller saw, within the organization.
func TestEventStatus(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	a, ev, _ := mustEventOrg(t, db, "alpha")
	b, _, _ := mustEventOrg(t, db, "beta")
	for _, tt := range []struct {
		name     string
		org      int64
		from, to admit.EventStatus
		code     string
		want     admit.EventStatus
	}{
		{"other organization", b.ID, admit.EventPublished, admit.EventClosed, admit.ENOTFOUND, admit.EventPublished},
		{"not allowed", a.ID, admit.EventPublished, admit.EventArchived, admit.EINVALID, admit.EventPublished},
		{"stale", a.ID, admit.EventDraft, admit.EventPublished, admit.ECONFLICT, admit.EventPublished},
		{"close", a.ID, admit.EventPublished, admit.EventClosed, "", admit.EventClosed},
		{"close twice", a.ID, admit.EventPublished, admit.EventClosed, admit.ECONFLICT, admit.EventClosed},
		{"archive", a.ID, admit.EventClosed, admit.EventArchived, "", admit.EventArchived},
		{"restore", a.ID, admit.EventArchived, admit.EventDraft, "", admit.EventDraft},
	} {
		err := db.SetEventStatus(ctx, tt.org, ev.ID, tt.from, tt.to)
		if admit.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want code %q", tt.name, err, tt.code)
		}
		if got, _ := db.FindEvent(ctx, a.ID, ev.ID); got.Status != tt.want {
			t.Errorf("%s: event is %s, want %s", tt.name, got.Status, tt.want)
		}
	}
}

// TestEventDuplicate: copies are drafts with fresh counters and slugs that
// stay valid even from the longest slug; another organization's event is
// not found.
func TestEventDuplicate(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	a, ev, tt := mustEventOrg(t, db, "alpha")
	b, _, _ := mustEventOrg(t, db, "beta")
	mysqltest.SetLedger(t, db, tt.ID, tt.Quantity, 2, 4)
	if _, err := db.DuplicateEvent(ctx, b.ID, ev.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("duplicate through another organization: %v", err)
	}
	dup, err := db.DuplicateEvent(ctx, a.ID, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if dup.Slug != "conf-copy" || dup.Status != admit.EventDraft || dup.OrganizationID != a.ID {
		t.Errorf("copy: %+v", dup)
	}
	types, _ := db.ListTicketTypes(ctx, a.ID, dup.ID, true)
	if len(types) != 1 || types[0].Sold != 0 || types[0].Reserved != 0 || types[0].Quantity != 10 {
		t.Errorf("copied ticket types: %+v", types)
	}
	long := &admit.Event{OrganizationID: a.ID, Slug: strings.Repeat("a", 60) + "-end", Name: strings.Repeat("é", 100), TimeZone: "UTC",
		StartsAt: time.Now(), Currency: "EUR", HoldMinutes: 10}
	if err := db.CreateEvent(ctx, long); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 3 {
		c, err := db.DuplicateEvent(ctx, a.ID, long.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !admit.ValidSlug(c.Slug) || seen[c.Slug] || len(c.Name) > 200 || c.Validate() != nil {
			t.Errorf("copy of a long event: slug %q name %d bytes: %v", c.Slug, len(c.Name), c.Validate())
		}
		seen[c.Slug] = true
	}
}
