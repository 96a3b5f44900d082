package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// organizerJourneyTimeout bounds the organizer's journey in the browser: it
// loads about forty pages, several times as many as a checkout.
const organizerJourneyTimeout = 120 * time.Second

// TestBrowserOrganizerJourney follows an event from sign-up to the door: an
// organizer sets it up in the console and publishes it, an attendee buys two
// tickets with a discount code in a browser of their own, and the organizer
// marks the order paid, refunds one ticket and checks the other in, once.
// Each console page on the way fits a phone's 390 px and a desktop's 1280 px
// without scrolling sideways outside its tables.
func TestBrowserOrganizerJourney(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	getenv := testEnv(t, dsn, nil)
	mustRun(t, getenv, "migrate", "up")
	base, _ := mustServe(t, getenv)
	org := mustBrowserWithin(t, organizerJourneyTimeout)
	buyer := mustPrivateWindow(t, org)
	start := time.Now()
	step := func(name string) { t.Logf("%6s %s", time.Since(start).Round(time.Millisecond), name) }

	mustOpen(t, org, base+"/console/signup")
	mustDo(t, org,
		chromedp.SendKeys(chromedp.ID("org_name"), "Gopher Meetups"),
		chromedp.SendKeys(chromedp.ID("name"), "Rob Pike"),
		chromedp.SendKeys(chromedp.ID("email"), "rob@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"),
	)
	mustClick(t, org, chromedp.CSS("button[type=submit].primary"), 200)
	if msg := mustText(t, org, "p.ok-box"); !strings.Contains(msg, "We have sent an email to rob@example.com") {
		t.Fatalf("after signing up the page says %q, want that an email was sent", msg)
	}
	mustOpen(t, org, base+mustSignupLink(t, dsn, "rob@example.com"))
	mustClick(t, org, chromedp.CSS("button[type=submit].primary"), 200)
	if path := mustURL(t, org).Path; path != "/console/gopher-meetups" {
		t.Fatalf("after following the emailed link the organizer is at %s, want /console/gopher-meetups", path)
	}
	mustFlash(t, org, "Welcome to Admit")
	console := base + "/console/gopher-meetups"
	step("signed up")

	mustOpen(t, org, console+"/events/new")
	day := time.Now().AddDate(0, 2, 0).Format("2006-01-02")
	mustDo(t, org,
		chromedp.SendKeys(chromedp.ID("name"), "Go Night Berlin"),
		chromedp.SendKeys(chromedp.ID("venue"), "c-base"),
		chromedp.SetValue(chromedp.ID("time_zone"), "Europe/Berlin"),
		chromedp.SetValue(chromedp.ID("starts_at"), day+"T18:30"),
		chromedp.SetValue(chromedp.ID("ends_at"), day+"T22:00"),
		chromedp.SetValue(chromedp.ID("currency"), "EUR"),
	)
	mustClick(t, org, chromedp.CSS("button[type=submit].primary"), 200)
	mustFlash(t, org, "Event created as a draft")
	dashboard := mustURL(t, org).String()
	for _, tt := range []struct{ name, price, quantity string }{{"Early bird", "50.00", "10"}, {"Regular", "80.00", "20"}} {
		mustFollow(t, org, "Add ticket type")
		mustDo(t, org,
			chromedp.SendKeys(chromedp.ID("name"), tt.name),
			chromedp.SendKeys(chromedp.ID("price"), tt.price),
			chromedp.SetValue(chromedp.ID("quantity"), tt.quantity),
			chromedp.SetValue(chromedp.ID("max_per_order"), "4"),
		)
		mustClick(t, org, chromedp.CSS("button[type=submit].primary"), 200)
		mustFlash(t, org, "Ticket type "+tt.name+" added.")
	}
	want := [][]string{{"Early bird", "€50.00", "0", "0", "10"}, {"Regular", "€80.00", "0", "0", "20"}}
	if diff := cmp.Diff(want, mustTable(t, org, "table.list tbody tr", 5)); diff != "" {
		t.Errorf("dashboard's ticket types (-want +got):\n%s", diff)
	}
	mustScreenshot(t, org, "console-event-draft")
	mustFitPhoneAndDesktop(t, org, "event dashboard")

	mustFollow(t, org, "Discount codes")
	mustDo(t, org,
		chromedp.SendKeys(chromedp.ID("code"), "FRIENDS"),
		chromedp.SetValue(chromedp.ID("kind"), "percent"),
		chromedp.SendKeys(chromedp.ID("value"), "20"),
		chromedp.SendKeys(chromedp.ID("max_uses"), "5"),
	)
	mustClick(t, org, chromedp.Search(`//button[normalize-space()="Create code"]`), 200)
	mustFlash(t, org, "Code FRIENDS created. It is short and easy to guess")
	if diff := cmp.Diff([][]string{{"FRIENDS short", "20%", "0 of 5", "all"}}, mustTable(t, org, "table.list tbody tr", 4)); diff != "" {
		t.Errorf("discount codes (-want +got):\n%s", diff)
	}
	mustFitPhoneAndDesktop(t, org, "discount codes")

	mustOpen(t, org, dashboard)
	mustFollow(t, org, "Questions")
	mustDo(t, org,
		chromedp.SendKeys(chromedp.ID("label"), "T-shirt size"),
		chromedp.SetValue(chromedp.ID("kind"), "choice"),
		chromedp.SetValue(chromedp.ID("options"), "S\nM\nL"),
		chromedp.Click(chromedp.CSS("input[name=required]")),
	)
	mustClick(t, org, chromedp.Search(`//button[normalize-space()="Add question"]`), 200)
	mustFlash(t, org, "Question added.")
	if diff := cmp.Diff([][]string{{"T-shirt size\nS · M · L", "choice", "yes", "all"}}, mustTable(t, org, "table.list tbody tr", 4)); diff != "" {
		t.Errorf("questions (-want +got):\n%s", diff)
	}
	mustFitPhoneAndDesktop(t, org, "questions")

	mustOpen(t, org, dashboard)
	mustClick(t, org, chromedp.Search(`//button[normalize-space()="Publish"]`), 200)
	mustFlash(t, org, "Event published")
	if status := mustText(t, org, "h1 + p .badge"); status != "published" {
		t.Errorf("dashboard says the event is %q after publishing it", status)
	}
	step("event set up and published")

	// The attendee's browser does not share the organizer's session.
	mustOpen(t, buyer, base+"/console")
	if path := mustURL(t, buyer).Path; path != "/console/login" {
		t.Fatalf("the attendee's browser opens /console at %s, want the login page", path)
	}
	mustOpen(t, buyer, base+"/e/gopher-meetups/go-night-berlin?code=FRIENDS")
	if got := mustTexts(t, buyer, "li.ticket-type .tt-price"); !cmp.Equal(got, []string{"€40.00 (was €50.00)", "€64.00 (was €80.00)"}) {
		t.Errorf("with the code, the event page shows the prices %q", got)
	}
	if code, err := chromedp.Run(buyer, chromedp.Value(chromedp.ID("code"))); err != nil || code != "FRIENDS" {
		t.Errorf("discount code field holds %q (%v), want FRIENDS from the link", code, err)
	}
	ids := mustEval[map[string]string](t, buyer, `Object.fromEntries(Array.from(document.querySelectorAll("li.ticket-type"),
		li => [li.querySelector(".tt-name").innerText.trim(), li.dataset.ticketType]))`)
	mustDo(t, buyer, chromedp.SetValue(chromedp.CSS(`select[name="qty_`+ids["Regular"]+`"]`), "2"))
	mustClick(t, buyer, chromedp.CSS("button[type=submit].primary"), 200)
	if got := mustText(t, buyer, "h1"); got != "Your details" {
		t.Fatalf("after choosing tickets the attendee sees %q, want the details page", got)
	}
	if discount, total := mustText(t, buyer, ".lines .discount"), mustText(t, buyer, ".lines .total"); discount != "−€32.00" || total != "€128.00" {
		t.Errorf("details page: discount %q and total %q, want −€32.00 and €128.00", discount, total)
	}
	mustDo(t, buyer,
		chromedp.SendKeys(chromedp.ID("buyer_name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("buyer_email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("attendee_0_name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("attendee_1_name"), "Grace Hopper"),
		chromedp.Click(chromedp.CSS(`input[name=payment_method][value=offline]`)),
	)
	mustClick(t, buyer, chromedp.CSS("button[type=submit].primary"), 422)
	mustScreenshot(t, buyer, "details-size-missing")
	sizes := mustEval[[]string](t, buyer, `Array.from(document.querySelectorAll("select[id*=_q_]"), s => s.id)`)
	if len(sizes) != 2 {
		t.Fatalf("details page asks %d T-shirt sizes (%q), want one per ticket", len(sizes), sizes)
	}
	for _, id := range sizes {
		if msg := mustTexts(t, buyer, "#"+id+" + p.error"); len(msg) != 1 || msg[0] == "" {
			t.Errorf("no error message is shown next to the missing answer #%s", id)
		}
	}
	if name, err := chromedp.Run(buyer, chromedp.Value(chromedp.ID("attendee_1_name"))); err != nil || name != "Grace Hopper" {
		t.Errorf("after the failed submit #attendee_1_name = %q (%v), want the typed name", name, err)
	}
	mustDo(t, buyer, chromedp.SetValue(chromedp.ID(sizes[0]), "M"), chromedp.SetValue(chromedp.ID(sizes[1]), "L"))
	mustClick(t, buyer, chromedp.CSS("button[type=submit].primary"), 200)
	ref := mustOrderPage(t, buyer, "Order received")
	if status := mustText(t, buyer, "p.notice"); !strings.Contains(status, "awaiting payment") {
		t.Errorf("order page says %q, want it to be awaiting payment", status)
	}
	mustScreenshot(t, buyer, "order-awaiting-payment")
	step("attendee ordered " + ref)

	mustOpen(t, org, console+"/orders")
	mustDo(t, org, chromedp.SendKeys(chromedp.CSS("input[name=q]"), "ada@example.com"))
	mustClick(t, org, chromedp.Search(`//button[normalize-space()="Search"]`), 200)
	if diff := cmp.Diff([][]string{{ref, "Ada Lovelace\nada@example.com", "Go Night Berlin", "€128.00", "pending"}},
		mustTable(t, org, "table.list tbody tr", 5)); diff != "" {
		t.Fatalf("orders found by the buyer's email (-want +got):\n%s", diff)
	}
	mustFitPhoneAndDesktop(t, org, "orders")
	mustFollow(t, org, ref)
	mustClick(t, org, chromedp.Search(`//button[normalize-space()="Mark paid"]`), 200)
	mustFlash(t, org, "is marked paid")
	tickets := mustConsoleTickets(t, org)
	wantTickets := []consoleTicket{
		{Name: "Ada Lovelace", Type: "Regular\nT-shirt size: M", Status: "valid"},
		{Name: "Grace Hopper", Type: "Regular\nT-shirt size: L", Status: "valid"},
	}
	if diff := cmp.Diff(wantTickets, tickets, ignoreTicketIDs, ignoreTicketCodes); diff != "" || tickets[0].Code == "" || tickets[1].Code == "" {
		t.Fatalf("paid order's tickets (-want +got):\n%s\ncodes %q and %q", diff, tickets[0].Code, tickets[1].Code)
	}
	if facts := mustFacts(t, org); !strings.HasPrefix(facts["Discount"], "−€32.00") {
		t.Errorf("order page facts %q, want a discount of −€32.00", facts)
	}
	mustFitPhoneAndDesktop(t, org, "order detail")
	step("organizer marked it paid")

	adasTicket := `input[name=ticket][value="` + tickets[0].ID + `"]`
	mustDo(t, org, chromedp.Click(chromedp.CSS(adasTicket)),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+adasTicket+`').checked`, chromedp.WithPollingTimeout(5*time.Second)))
	mustClick(t, org, chromedp.Search(`//button[normalize-space()="Refund selected tickets"]`), 200)
	if lead := mustText(t, org, "#confirm-lead"); !strings.Contains(lead, "€64.00 goes back to Ada Lovelace") {
		t.Errorf("the refund's confirmation says %q, want the amount and the buyer", lead)
	}
	mustDo(t, org, chromedp.SendKeys(chromedp.ID("reason"), "Ada cannot come"))
	mustClick(t, org, chromedp.Search(`//button[normalize-space()="Refund €64.00"]`), 200)
	mustFlash(t, org, "Refunded 1 ticket")
	mustScreenshot(t, org, "console-order-refunded")
	wantTickets[0].Status = "void"
	if diff := cmp.Diff(wantTickets, mustConsoleTickets(t, org), ignoreTicketIDs, ignoreTicketCodes); diff != "" {
		t.Errorf("tickets after refunding Ada's (-want +got):\n%s", diff)
	}
	if facts := mustFacts(t, org); facts["Refunded"] != "€64.00" {
		t.Errorf("order page facts %q, want €64.00 refunded", facts)
	}
	step("organizer refunded one ticket")

	mustOpen(t, org, dashboard)
	mustClick(t, org, chromedp.CSS(`a[href$="/checkin-lists"]`), 200)
	// The event came with its list, which admits the types added since.
	if diff := cmp.Diff([][]string{{"Main entrance", "Early bird, Regular"}}, mustTable(t, org, "table.list tbody tr", 2)); diff != "" {
		t.Errorf("check-in lists (-want +got):\n%s", diff)
	}
	mustFitPhoneAndDesktop(t, org, "check-in lists")
	mustFollow(t, org, "Open check-in →")
	// A refusal is shouted: its verdict is set in capitals.
	for _, scan := range []struct {
		code   string
		status int64
		want   []string // the outcome and the verdict as the door reads it
	}{
		{tickets[1].Code, 200, []string{"ok", "✔ Checked in: Grace Hopper — Regular"}},
		{tickets[1].Code, 422, []string{"already_checked_in", "✖ ALREADY CHECKED IN"}},
		{tickets[0].Code, 422, []string{"void", "✖ VOID TICKET — DO NOT ADMIT"}},
	} {
		mustDo(t, org, chromedp.SendKeys(chromedp.ID("code"), scan.code))
		mustClick(t, org, chromedp.Search(`//button[normalize-space()="Check in"]`), scan.status)
		got := mustEval[[]string](t, org, `Array.from(document.querySelectorAll(".checkin-result"),
			r => [r.dataset.outcome, r.querySelector(".verdict").innerText.trim()]).flat()`)
		if !cmp.Equal(got, scan.want) {
			t.Errorf("checking in %s: the door shows %q, want %q", scan.code, got, scan.want)
		}
	}
	mustScreenshot(t, org, "checkin-void")
	mustFitPhoneAndDesktop(t, org, "check-in")
	step("door checked Grace in once, refused the repeat and the void ticket")

	wantState := journeyState{CodeUsed: 1, Status: "paid", Total: 12800, Discount: 3200, Refunded: 6400,
		Tickets: "void,valid", Answers: "M,L", ActiveCheckIns: 1, RegularSold: 1}
	if diff := cmp.Diff(wantState, mustJourneyState(t, dsn, ref)); diff != "" {
		t.Errorf("stored state (-want +got):\n%s", diff)
	}
}

// mustPrivateWindow opens a tab in a new browser context of ctx's browser:
// like a private window, it shares no cookies with ctx.
func mustPrivateWindow(tb testing.TB, ctx context.Context) context.Context {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	tb.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("opening a private window: %v", err)
	}
	return ctx
}

// mustOpen loads url, which must answer 200 (after any redirects).
func mustOpen(tb testing.TB, ctx context.Context, url string) {
	tb.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		tb.Fatalf("opening %s: %v", url, err)
	}
	if resp.Status != 200 {
		tb.Fatalf("opening %s: %s answered %d; page:\n%s", url, resp.URL, resp.Status, mustText(tb, ctx, "body"))
	}
}

// mustFollow clicks the link whose text is text; its page must answer 200.
func mustFollow(tb testing.TB, ctx context.Context, text string) {
	tb.Helper()
	mustClick(tb, ctx, chromedp.Search(`//a[normalize-space()="`+text+`"]`), 200)
}

// mustFlash checks that the console's flash message contains want.
func mustFlash(tb testing.TB, ctx context.Context, want string) {
	tb.Helper()
	flash := mustTexts(tb, ctx, "p.ok-box")
	if len(flash) != 1 || !strings.Contains(flash[0], want) {
		tb.Fatalf("on %s the flash messages are %q, want one saying %q; page:\n%s", where(ctx), flash, want, mustText(tb, ctx, "main"))
	}
}

// mustTable returns the text of the first n cells of each row matching css.
func mustTable(tb testing.TB, ctx context.Context, css string, n int) [][]string {
	tb.Helper()
	q, _ := json.Marshal(css)
	return mustEval[[][]string](tb, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll(%s),
		tr => Array.from(tr.cells, td => td.innerText.trim()).slice(0, %d))`, q, n))
}

// mustFacts returns the console order page's facts, term to description.
func mustFacts(tb testing.TB, ctx context.Context) map[string]string {
	tb.Helper()
	return mustEval[map[string]string](tb, ctx, `Object.fromEntries(Array.from(document.querySelectorAll("dl.facts dt"),
		dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]))`)
}

// consoleTicket is a row of the console order page's tickets: the type cell
// lists the answers under the ticket type.
type consoleTicket struct {
	ID, Name, Type, Code, Status string
}

var (
	ignoreTicketIDs   = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ID" }, cmp.Ignore())
	ignoreTicketCodes = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Code" }, cmp.Ignore())
)

func mustConsoleTickets(tb testing.TB, ctx context.Context) []consoleTicket {
	tb.Helper()
	return mustEval[[]consoleTicket](tb, ctx, `Array.from(document.querySelectorAll("table.tickets tbody tr"), tr => ({
		ID: tr.dataset.ticket,
		Name: (tr.querySelector("input[name^=name_]") || {}).value || tr.cells[tr.cells.length - 5].innerText.trim(),
		Type: tr.cells[tr.cells.length - 3].innerText.trim(),
		Code: (tr.querySelector("code") || {}).innerText || "",
		Status: tr.querySelector(".badge").innerText.trim(),
	}))`)
}

// journeyState is what the database holds at the end of the journey: the
// discount code's uses, the order's status and amounts in minor units, its
// tickets' statuses and T-shirt sizes in ticket order, the check-ins in
// force on its tickets, and how many Regular tickets are sold.
type journeyState struct {
	CodeUsed                  int
	Status                    string
	Total, Discount, Refunded int64
	Tickets, Answers          string
	ActiveCheckIns            int
	RegularSold               int
}

func mustJourneyState(tb testing.TB, dsn, ref string) journeyState {
	tb.Helper()
	db, err := mysql.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var s journeyState
	err = db.SQL().QueryRowContext(context.Background(), `SELECT dc.used, o.status, o.total, o.discount_total, o.refunded_total,
		(SELECT GROUP_CONCAT(t.status ORDER BY t.id) FROM tickets t WHERE t.order_id = o.id),
		(SELECT GROUP_CONCAT(a.value ORDER BY a.ticket_id) FROM answers a JOIN tickets t ON t.id = a.ticket_id WHERE t.order_id = o.id),
		(SELECT COUNT(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id WHERE t.order_id = o.id AND c.undone_at IS NULL),
		(SELECT SUM(b.sold) FROM ticket_types tt JOIN ticket_type_buckets b ON b.ticket_type_id = tt.id
			WHERE tt.event_id = o.event_id AND tt.name = 'Regular')
		FROM orders o JOIN discount_codes dc ON dc.id = o.discount_code_id WHERE o.reference = ?`, ref).Scan(
		&s.CodeUsed, &s.Status, &s.Total, &s.Discount, &s.Refunded, &s.Tickets, &s.Answers, &s.ActiveCheckIns, &s.RegularSold)
	if err != nil {
		tb.Fatalf("order %s: %v", ref, err)
	}
	return s
}

// mustSignupLink returns the path of the sign-up link emailed to address,
// as the outbox row that sends it holds it.
func mustSignupLink(tb testing.TB, dsn, address string) string {
	tb.Helper()
	db, err := mysql.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var payload []byte
	if err := db.SQL().QueryRow(`SELECT payload FROM outbox WHERE kind = 'email.signup_confirm' AND JSON_VALUE(payload, '$.email') = ?
		ORDER BY id DESC LIMIT 1`, address).Scan(&payload); err != nil {
		tb.Fatalf("no sign-up email to %s: %v", address, err)
	}
	var p struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.Path == "" {
		tb.Fatalf("sign-up email payload %s has no path", payload)
	}
	return p.Path
}
