package mysql_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestTicketTypeQuantityGuard: lowering a quantity while buyers take holds
// never leaves more tickets held than there are, whoever wins.
func TestTicketTypeQuantityGuard(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	org, ev, tt := mustEventOrg(t, db, "alpha")
	for round := range 5 {
		mysqltest.SetLedger(t, db, tt.ID, 10, 0, 0)
		var wg sync.WaitGroup
		var lowered error
		held := make(chan bool, 10)
		wg.Add(11)
		go func() {
			defer wg.Done()
			changed := *tt
			changed.Quantity = 5
			lowered = db.UpdateTicketType(ctx, &changed)
		}()
		for range 10 {
			go func() {
				defer wg.Done()
				h := &admit.Hold{OrganizationID: org.ID, EventID: ev.ID, Items: []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 1}}}
				held <- db.CreateHold(ctx, h, time.Minute, admit.HoldLimits{}) == nil
			}()
		}
		wg.Wait()
		close(held)
		n := 0
		for ok := range held {
			if ok {
				n++
			}
		}
		got, err := db.FindTicketType(ctx, org.ID, ev.ID, tt.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reserved != n || got.Reserved+got.Sold > got.Quantity {
			t.Fatalf("round %d: %d holds, reserved %d of %d", round, n, got.Reserved, got.Quantity)
		}
		switch {
		case lowered == nil && got.Quantity != 5:
			t.Errorf("round %d: lowering succeeded but quantity is %d", round, got.Quantity)
		case lowered != nil && (admit.ErrorCode(lowered) != admit.EINVALID || !strings.Contains(lowered.Error(), "Cannot go below the") || got.Quantity != 10):
			t.Errorf("round %d: lowering failed with %v, quantity %d", round, lowered, got.Quantity)
		}
	}
}

// TestTicketTypeScoped: finding, updating, hiding and moving a ticket type
// through another organization or event is not found and changes nothing.
func TestTicketTypeScoped(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	a, ev, tt := mustEventOrg(t, db, "alpha")
	b, evB, _ := mustEventOrg(t, db, "beta")
	for name, scope := range map[string][2]int64{"other organization": {b.ID, ev.ID}, "other event": {a.ID, evB.ID}, "both": {b.ID, evB.ID}} {
		if _, err := db.FindTicketType(ctx, scope[0], scope[1], tt.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
			t.Errorf("%s: find: %v", name, err)
		}
		changed := *tt
		changed.OrganizationID, changed.EventID, changed.Quantity, changed.Name = scope[0], scope[1], 1000, "Hijacked"
		if err := db.UpdateTicketType(ctx, &changed); admit.ErrorCode(err) != admit.ENOTFOUND {
			t.Errorf("%s: update: %v", name, err)
		}
		if err := db.SetTicketTypeHidden(ctx, scope[0], scope[1], tt.ID, true); admit.ErrorCode(err) != admit.ENOTFOUND {
			t.Errorf("%s: hide: %v", name, err)
		}
		if _, err := db.MoveTicketType(ctx, scope[0], scope[1], tt.ID, 1); admit.ErrorCode(err) != admit.ENOTFOUND {
			t.Errorf("%s: move: %v", name, err)
		}
	}
	got, err := db.FindTicketType(ctx, a.ID, ev.ID, tt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "GA" || got.Quantity != 10 || got.Hidden {
		t.Errorf("ticket type changed: %+v", got)
	}
	if err := db.SetTicketTypeHidden(ctx, a.ID, ev.ID, tt.ID, false); err != nil {
		t.Errorf("showing a shown ticket type: %v", err)
	}
}

// TestTicketTypeMove: moves renumber the event's ticket types and stop at
// either end.
func TestTicketTypeMove(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	org, ev, first := mustEventOrg(t, db, "alpha")
	var ids = []int64{first.ID}
	for _, name := range []string{"B", "C"} {
		// Equal positions, as two ticket types added at once may get.
		tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: name, Quantity: 5, MinPerOrder: 1, MaxPerOrder: 5}
		if err := db.CreateTicketType(ctx, tt); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tt.ID)
	}
	order := func() (names []string, positions []int) {
		types, _ := db.ListTicketTypes(ctx, org.ID, ev.ID, true)
		for _, tt := range types {
			names, positions = append(names, tt.Name), append(positions, tt.Position)
		}
		return names, positions
	}
	for _, step := range []struct {
		id    int64
		by    int
		moved bool
		want  string
	}{
		{ids[2], -1, true, "GA C B"},
		{ids[2], -1, true, "C GA B"},
		{ids[2], -1, false, "C GA B"},
		{ids[1], 1, false, "C GA B"},
		{ids[0], 1, true, "C B GA"},
	} {
		moved, err := db.MoveTicketType(ctx, org.ID, ev.ID, step.id, step.by)
		if err != nil {
			t.Fatal(err)
		}
		names, positions := order()
		if strings.Join(names, " ") != step.want || moved != step.moved {
			t.Errorf("move %d by %d: %v (moved %t), want %s (moved %t)", step.id, step.by, names, moved, step.want, step.moved)
		}
		for i, p := range positions {
			if p != i {
				t.Errorf("positions %v, want 0, 1, 2", positions)
				break
			}
		}
	}
}
