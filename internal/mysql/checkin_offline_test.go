package mysql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// mustDefaultList returns the event's only check-in list, which every event
// gets at creation.
func mustDefaultList(tb testing.TB, db *mysql.DB, orgID, eventID int64) *admit.CheckInList {
	tb.Helper()
	lists, err := db.ListCheckInLists(context.Background(), orgID, eventID)
	if err != nil || len(lists) != 1 || lists[0].Name != "Main entrance" {
		tb.Fatalf("the event's check-in lists: %v %v, want Main entrance alone", lists, err)
	}
	return lists[0]
}

// TestDefaultCheckInList: a new event (or a copy) comes with "Main
// entrance", which keeps admitting every ticket type as types are added,
// while a list admitting some types only is left as it was made.
func TestDefaultCheckInList(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	org, ev, ga := mustEventOrg(t, db, "alpha")
	if got := mustDefaultList(t, db, org.ID, ev.ID).TicketTypeIDs; !cmp.Equal(got, []int64{ga.ID}) {
		t.Errorf("default list admits %v, want GA %d", got, ga.ID)
	}
	vip := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "VIP", Price: 5000, Quantity: 5, MinPerOrder: 1, MaxPerOrder: 5}
	if err := db.CreateTicketType(ctx, vip); err != nil {
		t.Fatal(err)
	}
	side := &admit.CheckInList{OrganizationID: org.ID, EventID: ev.ID, Name: "Side door", TicketTypeIDs: []int64{ga.ID}}
	if err := db.CreateCheckInList(ctx, side); err != nil {
		t.Fatal(err)
	}
	student := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "Student", Price: 500, Quantity: 5, MinPerOrder: 1, MaxPerOrder: 5}
	if err := db.CreateTicketType(ctx, student); err != nil {
		t.Fatal(err)
	}
	lists, err := db.ListCheckInLists(ctx, org.ID, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, l := range lists {
		got[l.Name] = l.TicketTypeIDs
	}
	want := map[string][]int64{"Main entrance": {ga.ID, vip.ID, student.ID}, "Side door": {ga.ID}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lists after adding VIP and Student (-want +got):\n%s", diff)
	}
	dup, err := db.DuplicateEvent(ctx, org.ID, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l := mustDefaultList(t, db, org.ID, dup.ID); len(l.TicketTypeIDs) != 3 {
		t.Errorf("the copy's list admits %v, want its three types", l.TicketTypeIDs)
	}
}

// TestTicketKey: an event's key is made once and kept, differs between
// events, and what it signs checks in, verifies offline, and fails to
// verify once tampered with.
func TestTicketKey(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	a, evA, _ := mustEventOrg(t, db, "alpha")
	b, evB, _ := mustEventOrg(t, db, "beta")
	var keys []*admit.TicketKey
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 8 {
		wg.Go(func() {
			k, err := db.TicketKey(ctx, a.ID, evA.ID)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			keys = append(keys, k)
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k.PublicKey() != keys[0].PublicKey() {
			t.Fatalf("the same event got two keys at once: %s and %s", k.PublicKey(), keys[0].PublicKey())
		}
	}
	kb, err := db.TicketKey(ctx, b.ID, evB.ID)
	if err != nil || kb.PublicKey() == keys[0].PublicKey() {
		t.Fatalf("beta's key %v, %v: want its own", kb, err)
	}
	if _, err := db.TicketKey(ctx, b.ID, evA.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("beta asking for alpha's event's key: %v, want not found", err)
	}

	orders := mustBatchOrders(t, db, a, evA, 1)
	ticket := orders[0].Tickets[0]
	signed := keys[0].Sign(ticket.TicketTypeID, ticket.Code)
	parsed, ok := admit.ParseSignedTicket(signed)
	if !ok || parsed.Code != ticket.Code || !parsed.Verify(evA.ID, keys[0].PublicKey()) {
		t.Fatalf("signed code %q does not verify", signed)
	}
	if parsed.Verify(evB.ID, keys[0].PublicKey()) || parsed.Verify(evA.ID, kb.PublicKey()) {
		t.Error("a signature verifies for another event or key")
	}
	forged := parsed
	forged.TicketTypeID++
	if forged.Verify(evA.ID, keys[0].PublicKey()) {
		t.Error("a ticket of another type verifies with the same signature")
	}
	list := mustDefaultList(t, db, a.ID, evA.ID)
	r, err := db.CheckIn(ctx, a.ID, list.ID, signed, 0)
	if err != nil || r.Outcome != admit.CheckInOK || r.TicketID != ticket.ID {
		t.Fatalf("checking in the signed code: %+v %v", r, err)
	}
}

// TestSyncCheckInsConcurrently: phones that were offline sync their scans
// at once: each ticket was scanned three times (three phones, or one
// twice), and every phone syncs every scan, several times over, in its own
// order. Each ticket is checked in once on the list; of its three scans
// exactly one is the check-in and the others are flagged as already checked
// in; every answer for a scan is the same, whichever phone asked.
func TestSyncCheckInsConcurrently(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	org, ev, _ := mustEventOrg(t, db, "alpha")
	orders := mustBatchOrders(t, db, org, ev, 6)
	list := mustDefaultList(t, db, org.ID, ev.ID)
	key, err := db.TicketKey(ctx, org.ID, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	var scans []admit.OfflineScan
	ticketOf := map[string]int64{}
	for _, o := range orders {
		for _, tk := range o.Tickets {
			for _, phone := range []string{"a", "b", "c"} {
				id := fmt.Sprintf("%s-%d", phone, tk.ID)
				code := key.Sign(tk.TicketTypeID, tk.Code)
				if phone == "c" {
					code = tk.Code // typed by hand: the bare code
				}
				scans = append(scans, admit.OfflineScan{ID: id, Code: code})
				ticketOf[id] = tk.ID
			}
		}
	}
	const actors = 12
	answers := make([][]admit.ScanResult, actors)
	var wg sync.WaitGroup
	for i := range actors {
		wg.Go(func() {
			mine := append([]admit.OfflineScan(nil), scans...)
			rand.Shuffle(len(mine), func(x, y int) { mine[x], mine[y] = mine[y], mine[x] })
			for part := 0; part < len(mine); part += 10 {
				rs, err := db.SyncCheckIns(ctx, org.ID, list.ID, 0, mine[part:min(part+10, len(mine))])
				if err != nil {
					t.Errorf("actor %d: %v", i, err)
					return
				}
				answers[i] = append(answers[i], rs...)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	outcome := map[string]admit.CheckInOutcome{}
	for i, rs := range answers {
		if len(rs) != len(scans) {
			t.Fatalf("actor %d got %d answers for %d scans", i, len(rs), len(scans))
		}
		for _, r := range rs {
			if prev, ok := outcome[r.ScanID]; ok && prev != r.Result.Outcome {
				t.Errorf("scan %s came to %s and to %s", r.ScanID, prev, r.Result.Outcome)
			}
			outcome[r.ScanID] = r.Result.Outcome
			if r.Result.TicketID != ticketOf[r.ScanID] {
				t.Errorf("scan %s answered for ticket %d, want %d", r.ScanID, r.Result.TicketID, ticketOf[r.ScanID])
			}
		}
	}
	okPerTicket := map[int64]int{}
	for id, o := range outcome {
		switch o {
		case admit.CheckInOK:
			okPerTicket[ticketOf[id]]++
		case admit.CheckInAlready:
		default:
			t.Errorf("scan %s came to %s", id, o)
		}
	}
	for _, o := range orders {
		for _, tk := range o.Tickets {
			if okPerTicket[tk.ID] != 1 {
				t.Errorf("ticket %d has %d scans that checked it in, want 1", tk.ID, okPerTicket[tk.ID])
			}
		}
	}
	var checkins, active, recorded int
	if err := db.SQL().QueryRow(`SELECT COUNT(*), COUNT(active_ticket), COUNT(DISTINCT active_ticket) FROM checkins WHERE list_id = ?`, list.ID).
		Scan(&checkins, &active, new(int)); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM checkin_scans WHERE list_id = ?`, list.ID).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	tickets := len(scans) / 3
	if checkins != tickets || active != tickets || recorded != len(scans) {
		t.Errorf("%d check-ins (%d in force) and %d recorded scans, want %d, %d and %d", checkins, active, recorded, tickets, tickets, len(scans))
	}
	l, err := db.FindCheckInList(ctx, org.ID, list.ID)
	if err != nil || l.Progress.CheckedIn != tickets {
		t.Errorf("the list's progress: %+v %v, want %d checked in", l, err, tickets)
	}
}
