package main

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestStartPageListsPublicEvents: / lists the public events of every
// organization and /e/:org an organization's, drafts of neither; the
// header of an organization's pages leads to that organization, not to
// the demo.
func TestStartPageListsPublicEvents(t *testing.T) {
	s := mustSecureStack(t, nil)
	ctx := context.Background()
	other := &admit.Organization{Slug: "lindy", Name: "Lindy Hoppers e.V."}
	if err := s.db.CreateOrganization(ctx, other); err != nil {
		t.Fatal(err)
	}
	starts := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Minute)
	for _, ev := range []*admit.Event{
		{OrganizationID: other.ID, Slug: "swing-night", Name: "Swing Night", Status: admit.EventPublished},
		{OrganizationID: other.ID, Slug: "secret-plans", Name: "Secret Plans", Status: admit.EventDraft},
	} {
		ev.TimeZone, ev.Currency, ev.StartsAt, ev.HoldMinutes, ev.Venue = "Europe/Berlin", "EUR", starts, 10, "Ballsaal"
		if err := s.db.CreateEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	a := s.agent(t, "198.51.100.30")

	st, body := a.get("/")
	if st != http.StatusOK {
		t.Fatalf("start page: %d %.300s", st, body)
	}
	for _, want := range []string{`href="/e/lindy/swing-night"`, "Swing Night", "Lindy Hoppers e.V.", `href="/e/demo/gophersummit"`} {
		if !strings.Contains(body, want) {
			t.Errorf("start page lacks %q", want)
		}
	}
	if strings.Contains(body, "Secret Plans") {
		t.Error("start page lists a draft")
	}

	st, body = a.get("/e/lindy")
	if st != http.StatusOK || !strings.Contains(body, "Swing Night") || strings.Contains(body, "Secret Plans") || strings.Contains(body, "Gophers Summit") {
		t.Errorf("organization page: %d, want Swing Night only\n%.2000s", st, body)
	}
	if st, _ := a.get("/e/nobody"); st != http.StatusNotFound {
		t.Errorf("unknown organization: %d, want 404", st)
	}

	st, body = a.get("/e/lindy/swing-night")
	if st != http.StatusOK {
		t.Fatalf("event page: %d", st)
	}
	for _, want := range []string{`<a href="/e/lindy" class="brand">`, "Lindy Hoppers e.V.", `<meta property="og:title" content="Swing Night">`,
		`<meta name="description"`, `rel="icon"`, "https://www.openstreetmap.org/search?query=Ballsaal"} {
		if !strings.Contains(body, want) {
			t.Errorf("event page lacks %q", want)
		}
	}
	// The request id is for error pages: a buyer quotes it to support.
	if strings.Contains(body, "· request ") {
		t.Error("the event page's footer shows the request id")
	}
	if st, body := a.get("/e/lindy/no-such-event"); st != http.StatusNotFound || !strings.Contains(body, "· request ") {
		t.Errorf("error page: %d, want 404 with the request id in the footer", st)
	}
}

// TestEndedCheckoutSaysWhatHappened: a checkout the buyer cancelled, and one
// whose time ran out, each get a titled page saying so, linking to the
// event, not a bare "410 · Gone".
func TestEndedCheckoutSaysWhatHappened(t *testing.T) {
	s := mustSecureStack(t, nil)
	hold := func(a *agent) string {
		a.get("/e/demo/gophersummit")
		st, loc := a.post("/e/demo/gophersummit/hold", url.Values{"qty_" + itoa64(s.types["Standard"].ID): {"1"}})
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/") {
			t.Fatalf("hold: %d %s", st, loc)
		}
		return loc
	}

	cancelled := s.agent(t, "198.51.100.31")
	checkout := hold(cancelled)
	cancelled.get(checkout)
	if st, _ := cancelled.post(checkout+"/cancel", nil); st != http.StatusSeeOther {
		t.Fatalf("cancel: %d", st)
	}
	st, body := cancelled.get(checkout)
	if st != http.StatusGone || !strings.Contains(body, "<title>This checkout was cancelled") || !strings.Contains(body, `href="/e/demo/gophersummit"`) {
		t.Errorf("cancelled checkout: %d, want 410 titled as cancelled with a link to the event\n%.2000s", st, body)
	}

	expired := s.agent(t, "198.51.100.32")
	checkout = hold(expired)
	expired.get(checkout)
	if _, err := s.db.SQL().Exec(`UPDATE holds SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE id = ?`, strings.TrimPrefix(checkout, "/checkout/")); err != nil {
		t.Fatal(err)
	}
	st, body = expired.get(checkout)
	if st != http.StatusGone || !strings.Contains(body, "<title>This checkout has expired") || !strings.Contains(body, `href="/e/demo/gophersummit"`) {
		t.Errorf("expired checkout: %d, want 410 titled as expired with a link to the event\n%.2000s", st, body)
	}
	// Submitting the details of an expired checkout says the same.
	st, body = expired.post(checkout, url.Values{"buyer_name": {"Ada"}, "buyer_email": {"ada@example.com"}, "attendee_0_name": {"Ada"}, "payment_method": {"offline"}})
	if st != http.StatusGone || !strings.Contains(body, "This checkout has expired") {
		t.Errorf("details sent after expiry: %d\n%.2000s", st, body)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestOrderPageDownloads: the order page offers the tickets as the PDF the
// email attaches and the event for a calendar, to the holder of the
// order's link only.
func TestOrderPageDownloads(t *testing.T) {
	s := mustSecureStack(t, nil)
	a := s.agent(t, "198.51.100.33")
	a.get("/e/demo/gophersummit")
	st, checkout := a.post("/e/demo/gophersummit/hold", url.Values{"qty_" + itoa64(s.types["Community"].ID): {"1"}})
	if st != http.StatusSeeOther {
		t.Fatalf("hold: %d %s", st, checkout)
	}
	a.get(checkout)
	st, order := a.post(checkout, url.Values{"buyer_name": {"Ada Lovelace"}, "buyer_email": {"ada@example.com"}, "attendee_0_name": {"Ada Lovelace"}})
	if st != http.StatusSeeOther || !strings.Contains(order, "/o/") {
		t.Fatalf("order: %d %s", st, order)
	}
	order = order[strings.Index(order, "/o/"):]
	st, body := a.get(order)
	if st != http.StatusOK {
		t.Fatalf("order page: %d", st)
	}
	u, _ := url.Parse(order)
	pdfURL := u.Path + "/tickets.pdf?" + u.RawQuery
	icsURL := u.Path + "/calendar.ics?" + u.RawQuery
	for _, want := range []string{pdfURL, icsURL} {
		if !strings.Contains(body, strings.ReplaceAll(want, "&", "&amp;")) {
			t.Errorf("order page has no link to %s", want)
		}
	}
	if strings.Contains(body, "Total</th>") {
		t.Error("a free order shows a Total row beside its Free lines")
	}
	st, h, pdf := a.do("GET", pdfURL, "", "", nil)
	if st != http.StatusOK || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("tickets PDF: %d %s %q %.8q", st, h.Get("Content-Type"), h.Get("Content-Disposition"), pdf)
	}
	st, h, ics := a.do("GET", icsURL, "", "", nil)
	if st != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") || !strings.Contains(ics, "SUMMARY:Gophers Summit") ||
		!strings.Contains(ics, "/e/demo/gophersummit\r\n") || strings.Contains(ics, "token=") {
		t.Errorf("calendar: %d %s\n%s", st, h.Get("Content-Type"), ics)
	}
	// Without the order's token there is nothing to download.
	for _, path := range []string{u.Path + "/tickets.pdf", u.Path + "/calendar.ics?token=wrong"} {
		if st, _ := s.agent(t, "198.51.100.34").get(path); st != http.StatusNotFound {
			t.Errorf("%s without the token: %d, want 404", path, st)
		}
	}
}

// TestCheckoutAsksConsentToTerms: with terms set for the event, an order
// without the tick is refused with the problem next to the box, named in
// the summary screen readers announce, the buyer's input kept; with the
// tick it goes through.
func TestCheckoutAsksConsentToTerms(t *testing.T) {
	s := mustSecureStack(t, nil)
	ev := *s.event
	ev.TermsURL = "https://demo.example.com/terms"
	if err := s.db.SetEventPublicSettings(context.Background(), s.org.ID, &ev); err != nil {
		t.Fatal(err)
	}
	a := s.agent(t, "198.51.100.35")
	a.get("/e/demo/gophersummit")
	st, checkout := a.post("/e/demo/gophersummit/hold", url.Values{"qty_" + itoa64(s.types["Community"].ID): {"1"}})
	if st != http.StatusSeeOther {
		t.Fatalf("hold: %d %s", st, checkout)
	}
	if _, body := a.get(checkout); !strings.Contains(body, `href="https://demo.example.com/terms"`) {
		t.Fatal("the details page does not link the terms")
	}
	form := url.Values{"buyer_name": {"Ada Lovelace"}, "buyer_email": {"ada@example.com"}, "attendee_0_name": {"Ada Lovelace"}}
	st, body := a.post(checkout, form)
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("order without consent: %d, want 422", st)
	}
	for _, want := range []string{
		`id="accept_terms" name="accept_terms" value="yes" aria-invalid="true" aria-describedby="accept_terms_error"`,
		`<p class="error" id="accept_terms_error">Please accept the terms to place your order.</p>`,
		`role="alert" id="error-summary"`, `<a href="#accept_terms">Please accept the terms`,
		`value="Ada Lovelace"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("refused order page lacks %s", want)
		}
	}
	if n := s.count(t, `SELECT COUNT(*) FROM orders WHERE event_id = ?`, s.event.ID); n != 0 {
		t.Errorf("%d orders placed without consent", n)
	}
	form.Set("accept_terms", "yes")
	if st, loc := a.post(checkout, form); st != http.StatusSeeOther || !strings.Contains(loc, "/o/") {
		t.Errorf("order with consent: %d %s", st, loc)
	}
}

// TestWaitingRoomCountsDownToTheOpening: before the sale opens the queue
// page says when, counts down to it (a static script reads data-opens) and
// does not present the wait as an estimate it cannot give.
func TestWaitingRoomCountsDownToTheOpening(t *testing.T) {
	s := mustSecureStack(t, nil)
	opens := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := s.db.SetWaitingRoom(context.Background(), s.org.ID, s.event.ID, true, opens, 60); err != nil {
		t.Fatal(err)
	}
	a := s.agent(t, "198.51.100.36")
	st, body := a.get("/e/demo/gophersummit/queue")
	if st != http.StatusOK {
		t.Fatalf("queue: %d", st)
	}
	for _, want := range []string{`data-opens="` + opens.Format(time.RFC3339) + `"`, `src="/static/queue.js"`, "Your place is kept"} {
		if !strings.Contains(body, want) {
			t.Errorf("queue page lacks %s", want)
		}
	}
	if strings.Contains(body, "Estimated wait") {
		t.Error("before the opening the queue page still shows an estimated wait")
	}
}

// TestUnpaidOfflineOrderExpires: with days to pay set, an offline order
// expires at its due date; the sweeper releases its tickets and the order
// page says why it was cancelled.
func TestUnpaidOfflineOrderExpires(t *testing.T) {
	s := mustSecureStack(t, nil)
	ev := *s.event
	ev.Payment = admit.PaymentInstructions{Payee: "Demo Events", IBAN: "DE89370400440532013000", DueDays: 5}
	if err := s.db.SetEventPublicSettings(context.Background(), s.org.ID, &ev); err != nil {
		t.Fatal(err)
	}
	standard := s.types["Standard"]
	a := s.agent(t, "198.51.100.37")
	a.get("/e/demo/gophersummit")
	_, checkout := a.post("/e/demo/gophersummit/hold", url.Values{"qty_" + itoa64(standard.ID): {"2"}})
	a.get(checkout)
	st, order := a.post(checkout, url.Values{"buyer_name": {"Ada"}, "buyer_email": {"ada@example.com"}, "attendee_0_name": {"Ada"},
		"attendee_1_name": {"Bob"}, "payment_method": {"offline"}})
	if st != http.StatusSeeOther || !strings.Contains(order, "/o/") {
		t.Fatalf("order: %d %s", st, order)
	}
	order = order[strings.Index(order, "/o/"):]
	ref := strings.TrimPrefix(order[:strings.Index(order, "?")], "/o/")
	if n := s.count(t, `SELECT COUNT(*) FROM orders WHERE reference = ? AND ABS(TIMESTAMPDIFF(SECOND, created_at + INTERVAL 5 DAY, expires_at)) <= 1`, ref); n != 1 {
		t.Fatal("the offline order does not expire five days after it was placed")
	}
	if _, err := s.db.SQL().Exec(`UPDATE orders SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE reference = ?`, ref); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.count(t, `SELECT COUNT(*) FROM orders WHERE reference = ? AND status = 'cancelled'`, ref) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not cancel the overdue order")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, _, sold := mysqltest.Ledger(t, s.db, standard.ID); sold != 0 {
		t.Errorf("%d Standard tickets still sold after the order expired", sold)
	}
	if _, body := a.get(order); !strings.Contains(body, "its payment had not arrived by the due date") {
		t.Errorf("the expired order's page does not say why it was cancelled:\n%.3000s", body)
	}
}

// TestConsoleSetsPaymentInstructions: an organizer's mistake comes back
// next to its field with the input kept; valid settings are stored, scoped
// to the organization.
func TestConsoleSetsPaymentInstructions(t *testing.T) {
	s := mustSecureStack(t, nil)
	a := s.agent(t, "198.51.100.38")
	a.mustLogin("organizer@demo.admit.localhost", s.password)
	path := "/console/demo/events/" + itoa64(s.event.ID) + "/public"
	if st, body := a.get(path); st != http.StatusOK || !strings.Contains(body, `id="payment_iban"`) {
		t.Fatalf("settings page: %d", st)
	}
	form := url.Values{"payment_payee": {"Demo Events"}, "payment_iban": {"DE88 3704 0044 0532 0130 00"}, "payment_due_days": {"10"},
		"banner_url": {"http://insecure.example.com/b.png"}}
	st, body := a.post(path, form)
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="error" id="payment_iban_error">`) ||
		!strings.Contains(body, `id="banner_url_error"`) || !strings.Contains(body, `value="DE88 3704 0044 0532 0130 00"`) {
		t.Fatalf("invalid settings: %d, want 422 with the problems next to IBAN and banner\n%.3000s", st, body)
	}
	form.Set("payment_iban", "DE89 3704 0044 0532 0130 00")
	form.Set("banner_url", "https://cdn.example.com/b.png")
	if st, _ := a.post(path, form); st != http.StatusSeeOther {
		t.Fatalf("valid settings: %d, want a redirect", st)
	}
	ev, err := s.db.FindEvent(context.Background(), s.org.ID, s.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Payment.IBAN != "DE89370400440532013000" || ev.Payment.DueDays != 10 || ev.BannerURL != "https://cdn.example.com/b.png" {
		t.Errorf("stored %+v banner %q", ev.Payment, ev.BannerURL)
	}
	// The event's id under another organization's address is not found.
	other := &admit.Organization{Slug: "other", Name: "Other"}
	if err := s.db.CreateOrganization(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.get("/console/other/events/" + itoa64(s.event.ID) + "/public"); st != http.StatusNotFound && st != http.StatusForbidden {
		t.Errorf("another organization's path: %d", st)
	}
}
