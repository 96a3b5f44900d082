package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/admithq/admit/internal/admit"
)

// mustLoginDemo logs the browser into the console as the demo organizer.
func mustLoginDemo(tb testing.TB, ctx context.Context, s *secureStack) {
	tb.Helper()
	mustOpen(tb, ctx, s.base+"/console/login")
	mustDo(tb, ctx, chromedp.SendKeys(chromedp.ID("email"), demoEmail), chromedp.SendKeys(chromedp.ID("password"), s.password))
	mustClick(tb, ctx, chromedp.CSS("button[type=submit].primary"), 200)
}

// mustBuyCommunity buys n free Community tickets of the demo event in the
// browser and returns the order page's URL.
func mustBuyCommunity(tb testing.TB, ctx context.Context, s *secureStack, n int) string {
	tb.Helper()
	mustChooseTickets(tb, ctx, s.base, "Community", strconv.Itoa(n))
	mustDo(tb, ctx, chromedp.SendKeys(chromedp.ID("buyer_name"), "Ada Lovelace"), chromedp.SendKeys(chromedp.ID("buyer_email"), "ada@example.com"))
	for i, name := range []string{"Ada Lovelace", "Grace Hopper"}[:n] {
		mustDo(tb, ctx, chromedp.SendKeys(chromedp.ID("attendee_"+strconv.Itoa(i)+"_name"), name))
	}
	mustClick(tb, ctx, chromedp.CSS("button[type=submit].primary"), 200)
	return mustURL(tb, ctx).String()
}

// mustNetwork cuts the browser's connection (offline) or restores it, for
// the page and its service worker alike, as a phone losing the venue's
// Wi-Fi would.
func mustNetwork(tb testing.TB, ctx context.Context, offline bool) {
	tb.Helper()
	yes := true
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &yes,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		tb.Fatalf("network offline=%v: %v", offline, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		tb.Fatalf("navigator.onLine=%v: %v", !offline, err)
	}
}

// mustWaitFor polls the page script js until it is true. A page that is
// reloading answers nothing for a moment: that is polled again too.
func mustWaitFor(tb testing.TB, ctx context.Context, what, js string) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserOfflineCheckIn: the door's phone opens the check-in page once
// online, loses the connection, reopens the page (from its service worker)
// and checks tickets in by their signed QR codes: a real ticket is
// admitted, the same ticket again is refused, a forged code is refused, and
// nothing reaches the server. With the connection back, the queue syncs:
// each ticket is checked in once and the repeat is flagged on the page.
func TestBrowserOfflineCheckIn(t *testing.T) {
	s := mustSecureStack(t, nil)
	ctx := context.Background()
	b := mustBrowserWithin(t, 3*time.Minute)
	mustBuyCommunity(t, b, s, 2)
	lists, err := s.db.ListCheckInLists(ctx, s.org.ID, s.event.ID)
	if err != nil || len(lists) != 1 || lists[0].Name != "Main entrance" {
		t.Fatalf("the demo event's check-in lists: %v %v, want its default list", lists, err)
	}
	list := lists[0]
	key, err := s.db.TicketKey(ctx, s.org.ID, s.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	var signed []string
	rows, err := s.db.SQL().Query(`SELECT code, ticket_type_id FROM tickets WHERE organization_id = ? AND status = 'valid' ORDER BY id`, s.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code string
		var typeID int64
		if err := rows.Scan(&code, &typeID); err != nil {
			t.Fatal(err)
		}
		signed = append(signed, key.Sign(typeID, code))
	}
	rows.Close()
	if len(signed) != 2 {
		t.Fatalf("%d valid tickets, want the 2 just bought", len(signed))
	}

	mustLoginDemo(t, b, s)
	page := s.base + "/console/demo/checkin/" + strconv.FormatInt(list.ID, 10)
	mustOpen(t, b, page)
	kept := `"admit-checkin-` + strconv.FormatInt(list.ID, 10) + `-"`
	mustWaitFor(t, b, "the phone to keep the list", `localStorage.getItem(`+kept+` + "list") !== null`)
	mustWaitFor(t, b, "the service worker", `navigator.serviceWorker.controller !== null`)
	t.Log("online: list kept, service worker in control")

	mustNetwork(t, b, true)
	if online := mustEval[bool](t, b, `navigator.onLine`); online {
		t.Fatal("navigator.onLine is still true with the network cut")
	}
	// The page opens again with no connection: the service worker has it.
	if _, err := chromedp.Run(b, chromedp.Navigate(page)); err != nil {
		t.Fatalf("reopening the check-in page offline: %v", err)
	}
	if got := mustText(t, b, "h1"); got != "Main entrance" {
		t.Fatalf("offline, the check-in page shows %q", got)
	}
	scan := func(code, wantOutcome string) {
		t.Helper()
		mustDo(t, b, chromedp.SetValue(chromedp.ID("code"), code), chromedp.Click(chromedp.Search(`//button[normalize-space()="Check in"]`)))
		mustWaitFor(t, b, "the verdict on "+code, `(function (r) { return !!r && r.dataset.offline === "1" && r.dataset.code === `+strconv.Quote(code)+`; })(document.querySelector(".checkin-result"))`)
		if got := mustEval[string](t, b, `document.querySelector(".checkin-result").dataset.outcome`); got != wantOutcome {
			t.Errorf("offline scan of %.20s…: %s (%q), want %s", code, got, mustText(t, b, ".checkin-result .verdict"), wantOutcome)
		}
	}
	forged := signed[1][:len(signed[1])-3] + "AAA"
	scan(signed[0], "ok")
	scan(signed[0], "already_checked_in")
	scan(forged, "unknown")
	scan(signed[1], "ok")
	if status := mustText(t, b, "#checkin-offline-status"); !strings.Contains(status, "3 scans waiting to sync") {
		t.Errorf("offline status line: %q, want 3 scans waiting", status)
	}
	mustFitPhoneAndDesktop(t, b, "offline check-in page")
	mustScreenshot(t, b, "checkin-offline")
	if n := mustCountCheckIns(t, s, list.ID); n != 0 {
		t.Fatalf("%d check-ins reached the server with the network cut", n)
	}

	mustNetwork(t, b, false)
	mustWaitFor(t, b, "the queue to sync", `JSON.parse(localStorage.getItem(`+kept+` + "queue") || "[]").length === 0`)
	// Once synced, the page shows the server's progress, flags kept.
	mustWaitFor(t, b, "the page to show the synced check-ins", `document.readyState === "complete" &&
		(document.querySelector(".checkin-progress strong") || {}).textContent === "2" && !document.getElementById("checkin-flagged").hidden`)
	flags := mustEval[[]string](t, b, `Array.from(document.querySelectorAll("#checkin-flags li"), li => li.dataset.outcome)`)
	if len(flags) != 1 || flags[0] != string(admit.CheckInAlready) {
		t.Errorf("flagged after syncing: %q, want the repeat scan as already checked in", flags)
	}
	if n := mustCountCheckIns(t, s, list.ID); n != 2 {
		t.Errorf("%d check-ins after syncing, want the 2 tickets once each", n)
	}
	var scans int
	if err := s.db.SQL().QueryRow(`SELECT COUNT(*) FROM checkin_scans WHERE list_id = ?`, list.ID).Scan(&scans); err != nil || scans != 3 {
		t.Errorf("%d scans recorded (%v), want 3", scans, err)
	}
	mustScreenshot(t, b, "checkin-synced")
}

// mustCountCheckIns counts the check-ins in force on the list.
func mustCountCheckIns(tb testing.TB, s *secureStack, listID int64) int {
	tb.Helper()
	var n int
	if err := s.db.SQL().QueryRow(`SELECT COUNT(*) FROM checkins WHERE list_id = ? AND undone_at IS NULL`, listID).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
