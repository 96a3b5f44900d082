package mysqltest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
)

// SeedSpec describes what a test sells from: an organization, its owner
// (optional), one event and its ticket types. Only what the test asserts
// on needs saying; MustSeed fills in the rest.
type SeedSpec struct {
	Org   admit.Organization
	Owner *admit.User // signed up with Org when set; PasswordHash as given
	Event admit.Event
	Types []admit.TicketType
}

// Seed is what MustSeed created, with the ids storage gave it.
type Seed struct {
	Org   *admit.Organization
	Owner *admit.User // nil unless the spec had one
	Event *admit.Event
	Types []*admit.TicketType // in the spec's order
}

// MustSeed creates the spec's organization (signing the owner up with it),
// event and ticket types in db, or fails the test.
func MustSeed(tb testing.TB, db *mysql.DB, spec SeedSpec) *Seed {
	tb.Helper()
	ctx := context.Background()
	org := spec.Org
	s := &Seed{Org: &org, Owner: spec.Owner}
	var err error
	if s.Owner != nil {
		err = db.SignUp(ctx, s.Org, s.Owner)
	} else {
		err = db.CreateOrganization(ctx, s.Org)
	}
	if err != nil {
		tb.Fatal(err)
	}
	s.Event, s.Types = MustEvent(tb, db, s.Org.ID, spec.Event, spec.Types...)
	return s
}

// MustEvent creates ev in the organization with its ticket types, or fails
// the test. What is left zero is filled in: a published event in UTC and
// EUR, a month away, with ten-minute holds; ticket types named "Type i" at
// position i, from one to ten per order.
func MustEvent(tb testing.TB, db *mysql.DB, orgID int64, ev admit.Event, types ...admit.TicketType) (*admit.Event, []*admit.TicketType) {
	tb.Helper()
	ctx := context.Background()
	ev.OrganizationID = orgID
	if ev.Status == "" {
		ev.Status = admit.EventPublished
	}
	if ev.HoldMinutes == 0 {
		ev.HoldMinutes = 10
	}
	if ev.Currency == "" {
		ev.Currency = "EUR"
	}
	if ev.TimeZone == "" {
		ev.TimeZone = "UTC"
	}
	if ev.StartsAt.IsZero() {
		ev.StartsAt = time.Now().Add(30 * 24 * time.Hour)
	}
	if err := db.CreateEvent(ctx, &ev); err != nil {
		tb.Fatal(err)
	}
	created := make([]*admit.TicketType, 0, len(types))
	for i, spec := range types {
		t := spec
		t.OrganizationID, t.EventID = orgID, ev.ID
		if t.Position == 0 {
			t.Position = i
		}
		if t.Name == "" {
			t.Name = fmt.Sprintf("Type %d", i)
		}
		if t.MinPerOrder == 0 {
			t.MinPerOrder = 1
		}
		if t.MaxPerOrder == 0 {
			t.MaxPerOrder = 10
		}
		if err := db.CreateTicketType(ctx, &t); err != nil {
			tb.Fatal(err)
		}
		created = append(created, &t)
	}
	return &ev, created
}
