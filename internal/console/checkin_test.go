package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
)

// checkInGA returns the id of the tenant's "GA" ticket type.
func (f *fixture) checkInGA(tb testing.TB, t tenant) int64 {
	tb.Helper()
	var id int64
	if err := f.db.SQL().QueryRow(`SELECT id FROM ticket_types WHERE event_id = ? AND name = 'GA'`, t.event.ID).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	return id
}

// checkInPaidCode marks the tenant's order paid, as an organizer would, and
// returns its ticket's code.
func (f *fixture) checkInPaidCode(tb testing.TB, t tenant) string {
	tb.Helper()
	if _, _, err := f.db.MarkOrderPaid(context.Background(), t.org.ID, t.orderID, ""); err != nil {
		tb.Fatal(err)
	}
	var code string
	if err := f.db.SQL().QueryRow(`SELECT code FROM tickets WHERE order_id = ?`, t.orderID).Scan(&code); err != nil {
		tb.Fatal(err)
	}
	return code
}

// checkInTicket writes an order of the event with one ticket of the type,
// in the given states, straight into the ledger, and returns the code.
func (f *fixture) checkInTicket(tb testing.TB, orgID, eventID, typeID int64, orderStatus, ticketStatus, name string) (code string, orderID int64) {
	tb.Helper()
	res, err := f.db.SQL().Exec(`INSERT INTO orders (organization_id, event_id, reference, access_token, status, buyer_name, buyer_email, total, currency)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1000, 'EUR')`, orgID, eventID, admit.NewReference(), admit.NewToken(16), orderStatus, name, "buyer@example.com")
	if err != nil {
		tb.Fatal(err)
	}
	orderID, _ = res.LastInsertId()
	code = admit.NewToken(12)
	if _, err := f.db.SQL().Exec(`INSERT INTO tickets (organization_id, order_id, ticket_type_id, code, attendee_name, attendee_email, status)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, orgID, orderID, typeID, code, name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.com", ticketStatus); err != nil {
		tb.Fatal(err)
	}
	return code, orderID
}

// checkInList creates a check-in list through storage.
func (f *fixture) checkInList(tb testing.TB, t tenant, eventID int64, name string, types ...int64) *admit.CheckInList {
	tb.Helper()
	l := &admit.CheckInList{OrganizationID: t.org.ID, EventID: eventID, Name: name, TicketTypeIDs: types}
	if err := f.db.CreateCheckInList(context.Background(), l); err != nil {
		tb.Fatal(err)
	}
	return l
}

func (f *fixture) checkInRows(tb testing.TB) (all, active int) {
	tb.Helper()
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*), COALESCE(SUM(undone_at IS NULL), 0) FROM checkins`).Scan(&all, &active); err != nil {
		tb.Fatal(err)
	}
	return all, active
}

func checkInPath(org string, listID int64) string {
	return fmt.Sprintf("/console/%s/checkin/%d", org, listID)
}

var checkInUndoAction = func(body string) string {
	i := strings.Index(body, `/undo"`)
	if i < 0 {
		return ""
	}
	j := strings.LastIndex(body[:i], `action="`)
	return body[j+len(`action="`) : i+len("/undo")]
}

// TestCheckInAtTheDoor: an organizer creates a list, check-in staff check a
// paid ticket in by its code, a second scan is refused naming who checked
// it in, an undo lets it in again; progress, dashboard, attendees and the
// audit log follow.
func TestCheckInAtTheDoor(t *testing.T) {
	f := mustFixture(t)
	code := f.checkInPaidCode(t, f.a)
	ga := f.checkInGA(t, f.a)

	owner := f.newBrowser(t)
	owner.mustLogin(f.a.owner.Email)
	lists := fmt.Sprintf("/console/alpha/events/%d/checkin-lists", f.a.event.ID)
	if st, body := owner.get(lists); st != http.StatusOK || !strings.Contains(body, "Main entrance") {
		// Every event comes with its default list.
		t.Fatalf("GET lists: %d", st)
	}
	if st, loc := owner.post(lists, url.Values{"name": {"Front door"}, "ticket_type": {strconv.FormatInt(ga, 10)}}); st != http.StatusSeeOther || loc != lists {
		t.Fatalf("create list: %d %s", st, loc)
	}
	all, err := f.db.ListCheckInLists(context.Background(), f.a.org.ID, f.a.event.ID)
	// By name: "Front door", then the default "Main entrance".
	if err != nil || len(all) != 2 || all[1].Name != "Main entrance" {
		t.Fatalf("lists after create: %v, %v", all, err)
	}
	list := all[0]
	if diff := cmp.Diff([]int64{ga}, list.TicketTypeIDs); list.Name != "Front door" || diff != "" {
		t.Fatalf("list %q admits %v", list.Name, list.TicketTypeIDs)
	}

	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	door := f.newBrowser(t)
	door.mustLogin(staff.Email)
	if st, body := door.get("/console/alpha/checkin"); st != http.StatusOK || !strings.Contains(body, "Front door") || !strings.Contains(body, checkInPath("alpha", list.ID)) {
		t.Fatalf("check-in chooser: %d", st)
	}
	st, body := door.get(checkInPath("alpha", list.ID))
	if st != http.StatusOK || !strings.Contains(body, `name="code"`) || !strings.Contains(body, "autofocus") || !strings.Contains(body, "0</strong> of 1 checked in") {
		t.Fatalf("check-in page: %d\n%s", st, body)
	}

	st, body = door.post(checkInPath("alpha", list.ID), url.Values{"code": {" " + strings.ToUpper(code) + " "}})
	if st != http.StatusOK || !strings.Contains(body, "Checked in: Buyer — GA") || !strings.Contains(body, "1</strong> of 1 checked in") {
		t.Fatalf("first check-in: %d\n%s", st, body)
	}
	if _, active := f.checkInRows(t); active != 1 {
		t.Fatalf("%d active check-ins after one scan", active)
	}
	var by int64
	f.db.SQL().QueryRow(`SELECT checked_in_by FROM checkins`).Scan(&by)
	if by != staff.ID {
		t.Errorf("check-in recorded by user %d, want %d", by, staff.ID)
	}

	st, body = door.post(checkInPath("alpha", list.ID), url.Values{"code": {code}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Already checked in") || !strings.Contains(body, "by door@example.com") {
		t.Fatalf("second check-in: %d\n%s", st, body)
	}
	if all, active := f.checkInRows(t); all != 1 || active != 1 {
		t.Fatalf("after a refused scan: %d check-ins, %d active", all, active)
	}

	undo := checkInUndoAction(body)
	if st, body := door.post(undo, nil); st != http.StatusOK || !strings.Contains(body, "Undo the check-in of") || !strings.Contains(body, "checked in ") {
		t.Fatalf("undo asks no confirmation naming the attendee: %d", st)
	}
	if all, active := f.checkInRows(t); active != 1 {
		t.Fatalf("the check-in was undone before confirming: %d check-ins, %d active", all, active)
	}
	if st, loc := door.post(undo, url.Values{"confirm": {"1"}}); st != http.StatusSeeOther || loc != checkInPath("alpha", list.ID) {
		t.Fatalf("undo %s: %d %s", undo, st, loc)
	}
	if st, body := door.get(checkInPath("alpha", list.ID)); st != 200 || !strings.Contains(body, "undone; the ticket can be checked in again") || !strings.Contains(body, "0</strong> of 1") {
		t.Errorf("after undo: %d", st)
	}
	if st, loc := door.post(undo, url.Values{"confirm": {"1"}}); st != http.StatusSeeOther || loc != checkInPath("alpha", list.ID) {
		t.Errorf("repeated undo: %d %s", st, loc)
	}
	if all, active := f.checkInRows(t); all != 1 || active != 0 {
		t.Fatalf("after undo: %d check-ins, %d active", all, active)
	}

	if st, body := door.post(checkInPath("alpha", list.ID), url.Values{"code": {code}}); st != http.StatusOK || !strings.Contains(body, "Checked in: Buyer") {
		t.Fatalf("check-in after undo: %d", st)
	}
	if all, active := f.checkInRows(t); all != 2 || active != 1 {
		t.Fatalf("after a new check-in: %d check-ins, %d active", all, active)
	}

	if _, body := owner.get(fmt.Sprintf("/console/alpha/events/%d", f.a.event.ID)); !strings.Contains(body, "1 / 1</span><span>checked in") {
		t.Error("the dashboard does not show 1 / 1 checked in")
	}
	if _, body := owner.get(fmt.Sprintf("/console/alpha/events/%d/attendees", f.a.event.ID)); !strings.Contains(body, "checked in</span>") ||
		!strings.Contains(body, fmt.Sprintf(`href="/console/alpha/orders/%d"`, f.a.orderID)) {
		t.Error("the attendees list does not show the ticket checked in with its order")
	}
	_, audit := owner.get("/console/alpha/audit")
	for _, action := range []string{"checkin_list.created", "checkin.created", "checkin.undone"} {
		if !strings.Contains(audit, action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}

// TestCheckInRefusals: every ticket that must not get in is refused with
// its own warning, and nothing is recorded.
func TestCheckInRefusals(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	ga := f.checkInGA(t, f.a)
	vip := &admit.TicketType{OrganizationID: f.a.org.ID, EventID: f.a.event.ID, Name: "VIP", Price: 5000, Quantity: 10, MinPerOrder: 1, MaxPerOrder: 5}
	if err := f.db.CreateTicketType(ctx, vip); err != nil {
		t.Fatal(err)
	}
	other := &admit.Event{OrganizationID: f.a.org.ID, Slug: "other", Name: "alpha other", TimeZone: "UTC",
		StartsAt: time.Now().Add(24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := f.db.CreateEvent(ctx, other); err != nil {
		t.Fatal(err)
	}
	otherType := &admit.TicketType{OrganizationID: f.a.org.ID, EventID: other.ID, Name: "Day", Price: 0, Quantity: 10, MinPerOrder: 1, MaxPerOrder: 5}
	if err := f.db.CreateTicketType(ctx, otherType); err != nil {
		t.Fatal(err)
	}
	list := f.checkInList(t, f.a, f.a.event.ID, "GA only", ga)

	pendingCode := mustTicketCode(t, f, f.a.orderID) // the fixture's order is still pending
	voidCode, _ := f.checkInTicket(t, f.a.org.ID, f.a.event.ID, ga, "cancelled", "void", "Cancelled Carla")
	refundedCode, _ := f.checkInTicket(t, f.a.org.ID, f.a.event.ID, ga, "paid", "void", "Refunded Rita")
	vipCode, _ := f.checkInTicket(t, f.a.org.ID, f.a.event.ID, vip.ID, "paid", "valid", "Vip Victor")
	otherEventCode, _ := f.checkInTicket(t, f.a.org.ID, other.ID, otherType.ID, "paid", "valid", "Other Olga")
	betaCode := f.checkInPaidCode(t, f.b)

	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	b := f.newBrowser(t)
	b.mustLogin(staff.Email)
	b.get(checkInPath("alpha", list.ID))
	for _, tt := range []struct {
		name, code string
		want       []string
	}{
		{"pending order", pendingCode, []string{"Not paid — do not admit", "Buyer — GA", "awaiting payment"}},
		{"cancelled order", voidCode, []string{"Void ticket — do not admit", "Cancelled Carla — GA", "is cancelled"}},
		{"void ticket of a paid order", refundedCode, []string{"Void ticket — do not admit", "Refunded Rita"}},
		{"type not on the list", vipCode, []string{"Not valid on this list", "Vip Victor — VIP", "VIP tickets are not admitted on “GA only”"}},
		{"unknown code", "nosuchcode", []string{"Unknown code", "nosuchcode"}},
		{"empty code", "", []string{"Unknown code"}},
		{"another event's code", otherEventCode, []string{"Unknown code"}},
		{"another organization's code", betaCode, []string{"Unknown code"}},
		{"markup", `<script>alert(1)</script>`, []string{"Unknown code", "&lt;script&gt;"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.post(checkInPath("alpha", list.ID), url.Values{"code": {tt.code}})
			if st != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", st)
			}
			if !strings.Contains(body, `class="checkin-result bad"`) || strings.Contains(body, "Checked in:") {
				t.Error("the result is not a refusal")
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, leak := range []string{"Other Olga", "beta", "<script>alert"} {
				if strings.Contains(body, leak) {
					t.Errorf("page shows %q", leak)
				}
			}
			if all, _ := f.checkInRows(t); all != 0 {
				t.Fatalf("%d check-ins recorded by a refused scan", all)
			}
		})
	}
}

func mustTicketCode(tb testing.TB, f *fixture, orderID int64) string {
	tb.Helper()
	var code string
	if err := f.db.SQL().QueryRow(`SELECT code FROM tickets WHERE order_id = ?`, orderID).Scan(&code); err != nil {
		tb.Fatal(err)
	}
	return code
}

// TestCheckInConcurrent: twenty staff scanning one ticket at the same
// instant check it in exactly once; after an undo, the next burst again
// checks it in exactly once.
func TestCheckInConcurrent(t *testing.T) {
	f := mustFixture(t)
	code := f.checkInPaidCode(t, f.a)
	list := f.checkInList(t, f.a, f.a.event.ID, "Main", f.checkInGA(t, f.a))
	var users []int64
	for i := range 20 {
		users = append(users, f.mustUser(t, f.a.org, fmt.Sprintf("door%d@example.com", i), admit.RoleCheckIn).ID)
	}
	burst := func() (ok []*admit.CheckInResult, already int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, err := f.db.CheckIn(context.Background(), f.a.org.ID, list.ID, code, u)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Errorf("check-in by user %d: %v", u, err)
				case r.Outcome == admit.CheckInOK:
					ok = append(ok, r)
				case r.Outcome == admit.CheckInAlready && r.CheckIn != nil:
					already++
				default:
					t.Errorf("check-in by user %d: outcome %s", u, r.Outcome)
				}
			}()
		}
		close(start)
		wg.Wait()
		return ok, already
	}
	for round := range 2 {
		ok, already := burst()
		if len(ok) != 1 || already != 19 {
			t.Fatalf("round %d: %d checked in, %d refused as already checked in; want 1 and 19", round, len(ok), already)
		}
		var active int
		f.db.SQL().QueryRow(`SELECT COUNT(*) FROM checkins WHERE list_id = ? AND undone_at IS NULL`, list.ID).Scan(&active)
		if active != 1 {
			t.Fatalf("round %d: %d active check-ins, want 1", round, active)
		}
		_, changed, err := f.db.UndoCheckIn(context.Background(), f.a.org.ID, list.ID, ok[0].CheckIn.ID, users[0])
		if err != nil || !changed {
			t.Fatalf("undo: %v %v", changed, err)
		}
	}
	if all, active := f.checkInRows(t); all != 2 || active != 0 {
		t.Errorf("%d check-ins, %d active; want 2 and 0", all, active)
	}
}

// TestCheckInStaffRoles: check-in staff reach the check-in pages and check
// tickets in, but get 403 on list management and the attendees list.
func TestCheckInStaffRoles(t *testing.T) {
	f := mustFixture(t)
	code := f.checkInPaidCode(t, f.a)
	list := f.checkInList(t, f.a, f.a.event.ID, "Main", f.checkInGA(t, f.a))
	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	b := f.newBrowser(t)
	b.mustLogin(staff.Email)
	for _, path := range []string{"/console/alpha/checkin", checkInPath("alpha", list.ID)} {
		if st, body := b.get(path); st != http.StatusOK || strings.Contains(body, "manage lists") {
			t.Errorf("check-in staff GET %s: %d", path, st)
		}
	}
	if st, body := b.post(checkInPath("alpha", list.ID), url.Values{"code": {code}}); st != http.StatusOK || !strings.Contains(body, "Checked in: Buyer") {
		t.Errorf("check-in staff checking in: %d", st)
	}
	if _, body := b.get("/console/alpha"); !strings.Contains(body, `href="/console/alpha/checkin"`) {
		t.Error("the navigation has no Check-in link for check-in staff")
	}
	lists := fmt.Sprintf("/console/alpha/events/%d/checkin-lists", f.a.event.ID)
	for _, path := range []string{lists, fmt.Sprintf("%s/%d", lists, list.ID), fmt.Sprintf("/console/alpha/events/%d/attendees", f.a.event.ID)} {
		if st, _ := b.get(path); st != http.StatusForbidden {
			t.Errorf("check-in staff GET %s: %d, want 403", path, st)
		}
	}
	b.get(checkInPath("alpha", list.ID))
	for _, path := range []string{lists, fmt.Sprintf("%s/%d", lists, list.ID), fmt.Sprintf("%s/%d/delete", lists, list.ID)} {
		if st, _ := b.post(path, url.Values{"name": {"Hijacked"}, "ticket_type": {"1"}, "with_checkins": {"1"}}); st != http.StatusForbidden {
			t.Errorf("check-in staff POST %s: %d, want 403", path, st)
		}
	}
	got, err := f.db.ListCheckInLists(context.Background(), f.a.org.ID, f.a.event.ID)
	if err != nil || len(got) != 2 || got[0].Name != "Main" || got[1].Name != "Main entrance" {
		t.Errorf("lists after check-in staff's attempts: %v %v", got, err)
	}
}

// TestCheckInTenantIsolation: every check-in route naming another
// organization's list, event or check-in is 404 to a member of beta, through
// either organization's URLs, and changes nothing.
func TestCheckInTenantIsolation(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	code := f.checkInPaidCode(t, f.a)
	alphaList := f.checkInList(t, f.a, f.a.event.ID, "Alpha door", f.checkInGA(t, f.a))
	betaList := f.checkInList(t, f.b, f.b.event.ID, "Beta door", f.checkInGA(t, f.b))
	r, err := f.db.CheckIn(ctx, f.a.org.ID, alphaList.ID, code, f.a.owner.ID)
	if err != nil || r.Outcome != admit.CheckInOK {
		t.Fatalf("alpha's check-in: %v %v", r, err)
	}
	alphaCheckIn := r.CheckIn.ID

	b := f.newBrowser(t)
	b.mustLogin(f.b.owner.Email)
	a, bb := f.a, f.b
	for _, path := range []string{
		"/console/alpha/checkin",
		checkInPath("alpha", alphaList.ID),
		checkInPath("beta", alphaList.ID),
		fmt.Sprintf("/console/alpha/events/%d/checkin-lists", a.event.ID),
		fmt.Sprintf("/console/beta/events/%d/checkin-lists", a.event.ID),
		fmt.Sprintf("/console/beta/events/%d/checkin-lists/%d", a.event.ID, alphaList.ID),
		fmt.Sprintf("/console/beta/events/%d/checkin-lists/%d", bb.event.ID, alphaList.ID),
		fmt.Sprintf("/console/alpha/events/%d/attendees", a.event.ID),
		fmt.Sprintf("/console/beta/events/%d/attendees", a.event.ID),
	} {
		if st, body := b.get(path); st != http.StatusNotFound || strings.Contains(body, "Alpha door") || strings.Contains(body, "alpha conf") {
			t.Errorf("GET %s as a member of beta: %d, want 404", path, st)
		}
	}
	b.get(checkInPath("beta", betaList.ID))
	for _, path := range []string{
		checkInPath("alpha", alphaList.ID),
		checkInPath("beta", alphaList.ID),
		fmt.Sprintf("%s/checkins/%d/undo", checkInPath("alpha", alphaList.ID), alphaCheckIn),
		fmt.Sprintf("%s/checkins/%d/undo", checkInPath("beta", alphaList.ID), alphaCheckIn),
		fmt.Sprintf("%s/checkins/%d/undo", checkInPath("beta", betaList.ID), alphaCheckIn),
		fmt.Sprintf("/console/beta/events/%d/checkin-lists", a.event.ID),
		fmt.Sprintf("/console/beta/events/%d/checkin-lists/%d", a.event.ID, alphaList.ID),
		fmt.Sprintf("/console/beta/events/%d/checkin-lists/%d", bb.event.ID, alphaList.ID),
		fmt.Sprintf("/console/beta/events/%d/checkin-lists/%d/delete", bb.event.ID, alphaList.ID),
		fmt.Sprintf("/console/alpha/events/%d/checkin-lists/%d/delete", a.event.ID, alphaList.ID),
	} {
		if st, _ := b.post(path, url.Values{"code": {code}, "name": {"Hijacked"}, "ticket_type": {strconv.FormatInt(f.checkInGA(t, bb), 10)}, "with_checkins": {"1"}}); st != http.StatusNotFound {
			t.Errorf("POST %s as a member of beta: %d, want 404", path, st)
		}
	}
	got, err := f.db.FindCheckInList(ctx, a.org.ID, alphaList.ID)
	if err != nil || got.Name != "Alpha door" || got.Progress.CheckedIn != 1 {
		t.Errorf("alpha's list after beta's attempts: %+v %v", got, err)
	}
	if all, active := f.checkInRows(t); all != 1 || active != 1 {
		t.Errorf("%d check-ins, %d active after beta's attempts", all, active)
	}
	// Storage itself refuses what crosses tenants.
	if _, err := f.db.FindCheckInList(ctx, bb.org.ID, alphaList.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("FindCheckInList across tenants: %v", err)
	}
	if _, err := f.db.CheckIn(ctx, bb.org.ID, alphaList.ID, code, bb.owner.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("CheckIn on another organization's list: %v", err)
	}
	err = f.db.CreateCheckInList(ctx, &admit.CheckInList{OrganizationID: bb.org.ID, EventID: bb.event.ID, Name: "Sneaky", TicketTypeIDs: []int64{f.checkInGA(t, a)}})
	if admit.ErrorCode(err) != admit.EINVALID {
		t.Errorf("a list admitting another organization's ticket type: %v", err)
	}
	if lists, _ := f.db.ListCheckInLists(ctx, bb.org.ID, 0); len(lists) != 2 {
		t.Errorf("beta has %d lists, want 2 (its own and the default)", len(lists))
	}
	// Beta's own pages work.
	if st, body := b.get(checkInPath("beta", betaList.ID)); st != http.StatusOK || !strings.Contains(body, "Beta door") {
		t.Errorf("beta's own check-in page: %d", st)
	}
}

// TestCheckInCSRF: a check-in posted without a valid token records nothing.
func TestCheckInCSRF(t *testing.T) {
	f := mustFixture(t)
	code := f.checkInPaidCode(t, f.a)
	list := f.checkInList(t, f.a, f.a.event.ID, "Main", f.checkInGA(t, f.a))
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	for _, token := range []string{"", "forged-token"} {
		if st, _ := b.post(checkInPath("alpha", list.ID), url.Values{"_csrf": {token}, "code": {code}}); st != http.StatusForbidden {
			t.Errorf("check-in with token %q: %d, want 403", token, st)
		}
	}
	if all, _ := f.checkInRows(t); all != 0 {
		t.Fatalf("%d check-ins after forged posts", all)
	}
	b.get(checkInPath("alpha", list.ID))
	if st, _ := b.post(checkInPath("alpha", list.ID), url.Values{"code": {code}}); st != http.StatusOK {
		t.Fatalf("check-in with the page's token: %d", st)
	}
	r, err := f.db.ListCheckIns(context.Background(), f.a.org.ID, list.ID, 10)
	if err != nil || len(r) != 1 {
		t.Fatalf("check-ins: %v %v", r, err)
	}
	if st, _ := b.post(fmt.Sprintf("%s/checkins/%d/undo", checkInPath("alpha", list.ID), r[0].ID), url.Values{"_csrf": {"forged-token"}}); st != http.StatusForbidden {
		t.Errorf("undo with a forged token: %d, want 403", st)
	}
	if _, active := f.checkInRows(t); active != 1 {
		t.Error("a forged undo undid the check-in")
	}
}

// TestCheckInListManagement: lists are validated with problems shown next
// to their fields, renamed, and deleted only with their check-ins once
// confirmed.
func TestCheckInListManagement(t *testing.T) {
	f := mustFixture(t)
	ga := strconv.FormatInt(f.checkInGA(t, f.a), 10)
	betaGA := strconv.FormatInt(f.checkInGA(t, f.b), 10)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	lists := fmt.Sprintf("/console/alpha/events/%d/checkin-lists", f.a.event.ID)
	b.get(lists)
	if st, _ := b.post(lists, url.Values{"name": {"Main"}, "ticket_type": {ga}}); st != http.StatusSeeOther {
		t.Fatalf("create: %d", st)
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"empty", url.Values{}, []string{"Name the list", "Choose at least one ticket type"}},
		{"taken name", url.Values{"name": {"main"}, "ticket_type": {ga}}, []string{"Another check-in list of this event has this name."}},
		{"another organization's type", url.Values{"name": {"Sneaky"}, "ticket_type": {betaGA}}, []string{"Choose ticket types of this event."}},
		{"markup", url.Values{"name": {"<b>x</b>"}}, []string{"&lt;b&gt;x&lt;/b&gt;", "Choose at least one"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.post(lists, tt.form)
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", st)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	got, _ := f.db.ListCheckInLists(context.Background(), f.a.org.ID, f.a.event.ID)
	if len(got) != 2 || got[0].Name != "Main" {
		t.Fatalf("%d lists after rejected forms, want Main and the default", len(got))
	}
	edit := fmt.Sprintf("%s/%d", lists, got[0].ID)
	if st, body := b.get(edit); st != http.StatusOK || !strings.Contains(body, `value="Main"`) || !strings.Contains(body, `value="`+ga+`" checked`) {
		t.Fatalf("edit page: %d", st)
	}
	if st, loc := b.post(edit, url.Values{"name": {"Side door"}, "ticket_type": {ga}}); st != http.StatusSeeOther || loc != lists {
		t.Fatalf("rename: %d %s", st, loc)
	}
	code := f.checkInPaidCode(t, f.a)
	if r, err := f.db.CheckIn(context.Background(), f.a.org.ID, got[0].ID, code, f.a.owner.ID); err != nil || r.Outcome != admit.CheckInOK {
		t.Fatalf("check-in: %v %v", r, err)
	}
	if st, loc := b.post(edit+"/delete", nil); st != http.StatusSeeOther || loc != edit {
		t.Fatalf("delete without confirming: %d %s", st, loc)
	}
	if _, body := b.get(edit); !strings.Contains(body, "has check-ins") {
		t.Error("no explanation why the list was not deleted")
	}
	if _, err := f.db.FindCheckInList(context.Background(), f.a.org.ID, got[0].ID); err != nil {
		t.Fatalf("the list was deleted without confirmation: %v", err)
	}
	if st, loc := b.post(edit+"/delete", url.Values{"with_checkins": {"1"}}); st != http.StatusSeeOther || loc != lists {
		t.Fatalf("delete: %d %s", st, loc)
	}
	if _, err := f.db.FindCheckInList(context.Background(), f.a.org.ID, got[0].ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("list after delete: %v", err)
	}
	if all, _ := f.checkInRows(t); all != 0 {
		t.Errorf("%d check-ins left after deleting their list", all)
	}
	_, audit := b.get("/console/alpha/audit")
	for _, action := range []string{"checkin_list.created", "checkin_list.updated", "checkin_list.deleted"} {
		if !strings.Contains(audit, action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}

// TestAttendees: one row per ticket with its order, searchable by name,
// email and code, 100 to a page, and only the organization's own.
func TestAttendees(t *testing.T) {
	f := mustFixture(t)
	ga := f.checkInGA(t, f.a)
	var codes []string
	for i := range 120 {
		code, _ := f.checkInTicket(t, f.a.org.ID, f.a.event.ID, ga, "paid", "valid", fmt.Sprintf("Guest %03d", i))
		codes = append(codes, code)
	}
	f.checkInTicket(t, f.b.org.ID, f.b.event.ID, f.checkInGA(t, f.b), "paid", "valid", "Beta Bob")
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	path := fmt.Sprintf("/console/alpha/events/%d/attendees", f.a.event.ID)
	rows := func(body string) int { return strings.Count(body, `<a href="/console/alpha/orders/`) }
	for _, tt := range []struct {
		name, query string
		rows        int
		want        []string
	}{
		{"first page", "", 100, []string{"121 tickets", "showing 1–100", "Buyer", "Next →"}},
		{"second page", "?page=2", 21, []string{"showing 101–121", "Guest 119", "← Previous"}},
		{"name", "?q=guest+05", 10, []string{"10 tickets", "Guest 050", "Guest 059"}},
		{"email", "?q=guest.007%40example.com", 1, []string{"Guest 007"}},
		{"code", "?q=" + strings.ToUpper(codes[42]), 1, []string{"Guest 042"}},
		{"another organization's attendee", "?q=Beta", 0, []string{"No tickets match."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.get(path + tt.query)
			if st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
			if n := rows(body); n != tt.rows {
				t.Errorf("%d rows, want %d", n, tt.rows)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, "Beta Bob") {
				t.Error("another organization's attendee is listed")
			}
		})
	}
}
