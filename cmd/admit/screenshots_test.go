package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserScreenshots writes what a buyer and an organizer see, at a
// phone's 390 px and a desktop's 1280 px, into ADMIT_SCREENSHOTS_DIR
// (`make screenshots`: var/screenshots): the event page, checkout,
// confirmation, the event's dashboard, an order and the door's check-in.
// It runs the demo on a server and database of its own. Without the
// variable it is skipped: it checks nothing the other browser tests do not.
func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("ADMIT_SCREENSHOTS_DIR")
	if dir == "" {
		t.Skip("set ADMIT_SCREENSHOTS_DIR (make screenshots) to write the screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := mustSecureStack(t, nil)
	b := mustBrowserWithin(t, 3*time.Minute)
	shoot := func(name string) {
		t.Helper()
		for _, width := range []int64{390, 1280} {
			mustDo(t, b, chromedp.EmulateViewport(width, 844))
			mustFitWidth(t, b, name, width)
			png, err := chromedp.Run(b, chromedp.FullScreenshot(90))
			if err != nil {
				t.Fatalf("screenshot %s at %d px: %v", name, width, err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
		}
		mustDo(t, b, chromedp.EmulateViewport(1280, 900))
	}

	mustOpen(t, b, s.base+"/e/demo/gophersummit")
	shoot("event")
	mustChooseTickets(t, b, s.base, "Community", "2")
	shoot("checkout")
	mustDo(t, b, chromedp.SendKeys(chromedp.ID("buyer_name"), "Ada Lovelace"), chromedp.SendKeys(chromedp.ID("buyer_email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("attendee_0_name"), "Ada Lovelace"), chromedp.SendKeys(chromedp.ID("attendee_1_name"), "Grace Hopper"))
	mustClick(t, b, chromedp.CSS("button[type=submit].primary"), 200)
	shoot("confirmation")

	mustLoginDemo(t, b, s)
	mustOpen(t, b, s.base+"/console/demo/events/"+strconv.FormatInt(s.event.ID, 10))
	shoot("dashboard")
	var orderID int64
	if err := s.db.SQL().QueryRow(`SELECT MAX(id) FROM orders WHERE organization_id = ?`, s.org.ID).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, b, s.base+"/console/demo/orders/"+strconv.FormatInt(orderID, 10))
	shoot("order-detail")
	lists, err := s.db.ListCheckInLists(t.Context(), s.org.ID, s.event.ID)
	if err != nil || len(lists) == 0 {
		t.Fatalf("the demo event's check-in lists: %v %v", lists, err)
	}
	var code string
	if err := s.db.SQL().QueryRow(`SELECT code FROM tickets WHERE order_id = ? ORDER BY id LIMIT 1`, orderID).Scan(&code); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, b, s.base+"/console/demo/checkin/"+strconv.FormatInt(lists[0].ID, 10))
	mustDo(t, b, chromedp.SetValue(chromedp.ID("code"), code))
	mustClick(t, b, chromedp.Search(`//button[normalize-space()="Check in"]`), 200)
	shoot("checkin")
}
