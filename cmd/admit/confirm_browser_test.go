package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/payment"
)

// TestBrowserConfirmationSteps: at a phone's width and a desktop's, a
// refund and a cancellation each stop on a page naming what will happen
// (tickets, amount, buyer) that fits the screen; the refund refuses to go
// on without a reason, shown next to its field, and both happen only once
// confirmed.
func TestBrowserConfirmationSteps(t *testing.T) {
	s := mustSecureStack(t, nil)
	ctx := context.Background()
	co := checkout.New(checkout.Options{Ledger: s.db, Providers: []payment.Provider{&payment.Offline{}}, BaseURL: s.base,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	order := func(buyer string, paid bool) *admit.Order {
		t.Helper()
		h, err := co.Hold(ctx, s.event, []admit.HoldItem{{TicketTypeID: s.types["Standard"].ID, Quantity: 2}}, checkout.Client{})
		if err != nil {
			t.Fatal(err)
		}
		placed, err := co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: buyer, BuyerEmail: "buyer@example.com", PaymentMethod: admit.PaymentOffline,
			Attendees: []admit.Attendee{{Name: buyer}, {Name: buyer + " Guest"}}})
		if err != nil {
			t.Fatal(err)
		}
		if paid {
			if _, err := co.MarkPaidByOrganizer(ctx, s.org.ID, placed.Order.ID); err != nil {
				t.Fatal(err)
			}
		}
		return placed.Order
	}
	b := mustBrowserWithin(t, 3*time.Minute)
	mustOpen(t, b, s.base+"/console/login")
	mustDo(t, b, chromedp.SendKeys(chromedp.ID("email"), demoEmail), chromedp.SendKeys(chromedp.ID("password"), s.password))
	mustClick(t, b, chromedp.CSS("button[type=submit].primary"), 200)
	fits := func(page string, width int64) {
		t.Helper()
		if wide := mustEval[bool](t, b, `document.documentElement.scrollWidth > document.documentElement.clientWidth`); wide {
			t.Errorf("%s at %d px scrolls sideways", page, width)
		}
	}
	for _, width := range []int64{1280, 390} {
		mustDo(t, b, chromedp.EmulateViewport(width, 900))
		paid, pending := order(fmt.Sprintf("Ada %d", width), true), order(fmt.Sprintf("Bob %d", width), false)
		orderURL := func(o *admit.Order) string { return fmt.Sprintf("%s/console/%s/orders/%d", s.base, s.org.Slug, o.ID) }

		// Refund one ticket: the confirmation names it and the amount.
		mustOpen(t, b, orderURL(paid))
		mustDo(t, b, chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=ticket][value="%d"]`, paid.Tickets[1].ID))))
		mustClick(t, b, chromedp.Search(`//button[normalize-space()="Refund selected tickets"]`), 200)
		if lead := mustText(t, b, "#confirm-lead"); !strings.Contains(lead, "Refund 1 ticket") || !strings.Contains(lead, "€129.00 goes back to "+paid.BuyerName) {
			t.Errorf("at %d px the refund's confirmation says %q", width, lead)
		}
		if items := mustTexts(t, b, ".confirm-items li"); len(items) != 1 || !strings.HasPrefix(items[0], paid.BuyerName+" Guest") {
			t.Errorf("at %d px the refund's confirmation lists %q, want the guest's ticket", width, items)
		}
		fits("refund confirmation", width)
		mustScreenshot(t, b, fmt.Sprintf("refund-confirm-%d", width))
		mustClick(t, b, chromedp.Search(`//button[normalize-space()="Refund €129.00"]`), 422)
		if msg := mustText(t, b, "#reason + p.error"); !strings.Contains(msg, "Say why you refund") {
			t.Errorf("at %d px a refund without a reason says %q next to the field", width, msg)
		}
		var status string
		if err := s.db.SQL().QueryRow(`SELECT status FROM orders WHERE id = ?`, paid.ID).Scan(&status); err != nil || status != "paid" {
			t.Fatalf("at %d px the order is %s (%v) before the refund was confirmed", width, status, err)
		}
		mustDo(t, b, chromedp.SendKeys(chromedp.ID("reason"), "The guest cannot come"))
		mustClick(t, b, chromedp.Search(`//button[normalize-space()="Refund €129.00"]`), 200)
		mustFlash(t, b, "Refunded 1 ticket (€129.00)")
		fits("order after refund", width)

		// Cancel: the confirmation names the order's tickets; "Keep the
		// order" leaves it be.
		mustOpen(t, b, orderURL(pending))
		mustClick(t, b, chromedp.Search(`//button[normalize-space()="Cancel order"]`), 200)
		if lead := mustText(t, b, "#confirm-lead"); !strings.Contains(lead, "its 2 tickets go back on sale") {
			t.Errorf("at %d px the cancellation's confirmation says %q", width, lead)
		}
		fits("cancel confirmation", width)
		mustScreenshot(t, b, fmt.Sprintf("cancel-confirm-%d", width))
		mustClick(t, b, chromedp.Search(`//a[normalize-space()="Keep the order"]`), 200)
		if status := mustText(t, b, "h1 .badge"); status != "pending" {
			t.Errorf("at %d px after keeping the order it is %q", width, status)
		}
		mustClick(t, b, chromedp.Search(`//button[normalize-space()="Cancel order"]`), 200)
		mustClick(t, b, chromedp.Search(`//form[contains(@class,"confirm")]//button[normalize-space()="Cancel order"]`), 200)
		mustFlash(t, b, "is cancelled")
	}
}
