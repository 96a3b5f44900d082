package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// mustPaidOrder marks tenant alpha's pending order paid through the console
// and returns its ticket ids.
func (f *fixture) mustPaidOrder(t *testing.T, b *browser) []int64 {
	t.Helper()
	path := fmt.Sprintf("/console/alpha/orders/%d", f.a.orderID)
	b.get(path)
	if st, _ := b.post(path+"/mark-paid", nil); st != http.StatusSeeOther {
		t.Fatalf("mark paid: %d", st)
	}
	o, err := f.db.FindOrder(context.Background(), f.a.org.ID, f.a.orderID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, tk := range o.Tickets {
		if tk.Status != admit.TicketValid {
			t.Fatalf("ticket %d is %s after marking paid", tk.ID, tk.Status)
		}
		ids = append(ids, tk.ID)
	}
	return ids
}

func (f *fixture) sold(t *testing.T) (sold, reserved int) {
	t.Helper()
	f.db.SQL().QueryRow(`SELECT SUM(sold), SUM(reserved) FROM ticket_type_buckets WHERE organization_id = ?`, f.a.org.ID).Scan(&sold, &reserved)
	return sold, reserved
}

func TestRefundFromConsole(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	ids := f.mustPaidOrder(t, b)
	path := fmt.Sprintf("/console/alpha/orders/%d", f.a.orderID)
	if sold, _ := f.sold(t); sold != 1 {
		t.Fatalf("sold %d before the refund, want 1", sold)
	}
	b.get(path)
	ticket := strconv.FormatInt(ids[0], 10)
	// The button only asks: it names the ticket and the amount, and
	// refunds nothing until confirmed with a reason.
	st, body := b.post(path+"/refund", url.Values{"ticket": {ticket}})
	if st != http.StatusOK || !strings.Contains(body, "Refund 1 ticket: it becomes void and €10.00 goes back to Buyer.") ||
		!strings.Contains(body, `name="reason"`) || !strings.Contains(body, `name="ticket" value="`+ticket+`"`) {
		t.Fatalf("refund asks no confirmation naming the ticket and amount: %d\n%s", st, body)
	}
	if st, body := b.post(path+"/refund", url.Values{"ticket": {ticket}, "confirm": {"1"}, "reason": {"  "}}); st != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Say why you refund") {
		t.Fatalf("confirmed without a reason: %d", st)
	}
	if f.orderStatus(t, f.a.orderID) != "paid" {
		t.Fatal("the order was refunded before the refund was confirmed with a reason")
	}
	if st, _ := b.post(path+"/refund", url.Values{"ticket": {ticket}, "confirm": {"1"}, "reason": {"Cannot travel <b>"}}); st != http.StatusSeeOther {
		t.Fatalf("refund: %d", st)
	}
	_, body = b.get(path)
	if !strings.Contains(body, "Refunded 1 ticket (€10.00)") || !strings.Contains(body, "status-refunded") {
		t.Errorf("order page after refund does not say so")
	}
	if _, body := b.get("/console/alpha/audit"); !strings.Contains(body, "1 ticket, €10.00; reason: Cannot travel &lt;b&gt;") {
		t.Error("the audit log does not record the refund's reason")
	}
	var status string
	var refunded int64
	f.db.SQL().QueryRow(`SELECT status, refunded_total FROM orders WHERE id = ?`, f.a.orderID).Scan(&status, &refunded)
	if status != "refunded" || refunded != 1000 {
		t.Errorf("order %s refunded %d, want refunded 1000", status, refunded)
	}
	if sold, _ := f.sold(t); sold != 0 {
		t.Errorf("sold %d after refund, want 0 (capacity back on sale)", sold)
	}
	// The same refund again changes nothing.
	if st, _ := b.post(path+"/refund", url.Values{"ticket": {ticket}}); st != http.StatusSeeOther {
		t.Fatalf("asking again to refund a refunded ticket: %d", st)
	}
	if st, _ := b.post(path+"/refund", url.Values{"ticket": {ticket}, "confirm": {"1"}, "reason": {"again"}}); st != http.StatusSeeOther {
		t.Fatalf("second refund: %d", st)
	}
	var refunds, emails int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM refunds WHERE order_id = ?`, f.a.orderID).Scan(&refunds)
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'email.order_refunded'`).Scan(&emails)
	if refunds != 1 || emails != 1 {
		t.Errorf("%d refunds and %d refund emails, want 1 and 1", refunds, emails)
	}
	// Beta cannot refund alpha's order.
	other := f.newBrowser(t)
	other.mustLogin(f.b.owner.Email)
	other.get("/console/beta")
	if st, _ := other.post(fmt.Sprintf("/console/beta/orders/%d/refund", f.a.orderID), url.Values{"all": {"1"}}); st != http.StatusNotFound {
		t.Errorf("beta refunding alpha's order: %d, want 404", st)
	}
}

// TestConcurrentRefundsRefundOnce: ten organizers press refund on the same
// ticket at once; it is refunded, and its capacity returned, once.
func TestConcurrentRefundsRefundOnce(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	ids := f.mustPaidOrder(t, b)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.db.RefundTickets(context.Background(), f.a.org.ID, f.a.orderID, ids, f.a.owner.ID)
			if err != nil && admit.ErrorCode(err) != admit.ECONFLICT {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var refunds int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM refunds WHERE order_id = ?`, f.a.orderID).Scan(&refunds)
	if sold, _ := f.sold(t); refunds != 1 || sold != 0 {
		t.Errorf("%d refunds, sold %d; want 1 refund and sold 0", refunds, sold)
	}
}

func TestResendAndRenameFromConsole(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	ids := f.mustPaidOrder(t, b)
	path := fmt.Sprintf("/console/alpha/orders/%d", f.a.orderID)
	b.get(path)
	if st, _ := b.post(path+"/resend", nil); st != http.StatusSeeOther {
		t.Fatalf("resend: %d", st)
	}
	var confirmations int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'email.order_confirmation'`).Scan(&confirmations)
	if confirmations != 2 {
		t.Errorf("%d confirmations queued, want 2 (paid, resent)", confirmations)
	}
	n := strconv.FormatInt(ids[0], 10)
	b.post(path+"/attendees", url.Values{"name_" + n: {`<b>Grace</b>`}, "email_" + n: {"grace@example.com"}})
	_, body := b.get(path)
	if !strings.Contains(body, `value="&lt;b&gt;Grace&lt;/b&gt;"`) {
		t.Error("renamed attendee is not shown (escaped) on the order page")
	}
	if st, _ := b.post(path+"/attendees", url.Values{"name_" + n: {""}}); st != http.StatusSeeOther {
		t.Fatalf("empty name: %d", st)
	}
	if _, body := b.get(path); !strings.Contains(body, "Not saved") {
		t.Error("an empty attendee name was not refused")
	}
}

// TestCancelAsksFirst: "Cancel order" shows what cancelling does (the
// tickets, the amount) and cancels only when that is confirmed.
func TestCancelAsksFirst(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	path := fmt.Sprintf("/console/alpha/orders/%d", f.a.orderID)
	b.get(path)
	st, body := b.post(path+"/cancel", nil)
	if st != http.StatusOK || !strings.Contains(body, "Cancel the unpaid order of Buyer for €10.00: its 1 ticket goes back on sale.") ||
		!strings.Contains(body, "Keep the order") {
		t.Fatalf("cancel asks no confirmation naming the order: %d\n%s", st, body)
	}
	if got := f.orderStatus(t, f.a.orderID); got != "pending" {
		t.Fatalf("order is %s before the cancellation was confirmed", got)
	}
	if st, _ := b.post(path+"/cancel", url.Values{"confirm": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("confirmed cancel: %d", st)
	}
	if got := f.orderStatus(t, f.a.orderID); got != "cancelled" {
		t.Errorf("order is %s after a confirmed cancel", got)
	}
}

// TestOrderTimelineAndNotes: an order's page links to the buyer's own page
// and tells its story from the rows that record it (placed, paid by the
// organizer, confirmation emailed once the worker sent it, notes), and a
// note is kept with its author; an empty note is refused next to its field.
func TestOrderTimelineAndNotes(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	path := fmt.Sprintf("/console/alpha/orders/%d", f.a.orderID)
	b.get(path)
	if st, _ := b.post(path+"/mark-paid", nil); st != http.StatusSeeOther {
		t.Fatalf("mark paid: %d", st)
	}
	if _, err := f.db.SQL().Exec(`UPDATE outbox SET done_at = NOW(6) WHERE kind = 'email.order_confirmation' AND organization_id = ?`, f.a.org.ID); err != nil {
		t.Fatal(err)
	}
	b.get(path)
	if st, body := b.post(path+"/notes", url.Values{"note": {"   "}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, `id="note-problem">Write the note first.`) {
		t.Errorf("empty note: %d", st)
	}
	if st, _ := b.post(path+"/notes", url.Values{"note": {"Called <the> buyer"}}); st != http.StatusSeeOther {
		t.Fatalf("note: %d", st)
	}
	_, body := b.get(path)
	o, err := f.db.FindOrder(context.Background(), f.a.org.ID, f.a.orderID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, `href="/o/`+o.Reference+`?token=`+o.AccessToken+`" id="buyer-page"`) {
		t.Error("no link to the buyer's order page")
	}
	timeline := body[strings.Index(body, `<ol class="timeline">`):]
	timeline = timeline[:strings.Index(timeline, "</ol>")]
	var whats []string
	for _, m := range regexp.MustCompile(`<strong>([^<]+)</strong>`).FindAllStringSubmatch(timeline, -1) {
		whats = append(whats, m[1])
	}
	for _, want := range []string{"Placed", "Paid", "Marked paid", "Confirmation emailed", "Note"} {
		if !slices.Contains(whats, want) {
			t.Errorf("timeline %q lacks %q", whats, want)
		}
	}
	if whats[0] != "Placed" || !strings.Contains(timeline, "Called &lt;the&gt; buyer") || !strings.Contains(timeline, "by alpha") {
		t.Errorf("timeline: %s", timeline)
	}
	other := f.newBrowser(t)
	other.mustLogin(f.b.owner.Email)
	other.get("/console/beta")
	if st, _ := other.post(fmt.Sprintf("/console/beta/orders/%d/notes", f.a.orderID), url.Values{"note": {"x"}}); st != http.StatusNotFound {
		t.Errorf("beta noting alpha's order: %d, want 404", st)
	}
}
