package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/web"
)

// noCache misses every time, so each request renders from the database.
type noCache struct{}

func (noCache) Get(string) ([]byte, bool)         { return nil, false }
func (noCache) Set(string, []byte, time.Duration) {}

// FuzzCheckoutForms posts any form to the event page's hold, the details
// step and the waiting list, on the real database, as a browser of the
// same site would (Sec-Fetch-Site): every answer is below 500, and the
// ledger never holds or sells more than it has.
// fuzzBuyer is the buyer cookie the fuzzed forms are sent with (26
// characters, as the pages issue them).
const fuzzBuyer = "fuzzbuyer0123456789abcdefg"

func FuzzCheckoutForms(f *testing.F) {
	ctx := context.Background()
	db := mysqltest.MustOpen(f)
	org := &admit.Organization{Slug: "acme", Name: "Acme"}
	if err := db.CreateOrganization(ctx, org); err != nil {
		f.Fatal(err)
	}
	ev := &admit.Event{OrganizationID: org.ID, Slug: "launch", Name: "Launch", TimeZone: "Europe/Berlin",
		StartsAt: time.Now().Add(30 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, ev); err != nil {
		f.Fatal(err)
	}
	var types []*admit.TicketType
	for _, t := range []*admit.TicketType{
		{Name: "Standard", Price: 1500, Quantity: 1_000_000, MinPerOrder: 1, MaxPerOrder: 4},
		{Name: "Gone", Price: 0, Quantity: 0, MinPerOrder: 1, MaxPerOrder: 2},
	} {
		t.OrganizationID, t.EventID = org.ID, ev.ID
		if err := db.CreateTicketType(ctx, t); err != nil {
			f.Fatal(err)
		}
		types = append(types, t)
	}
	q := &admit.Question{OrganizationID: org.ID, EventID: ev.ID, Label: "Size", Kind: admit.QuestionChoice, Options: []string{"S", "M"}, Required: true}
	if err := db.CreateQuestion(ctx, q); err != nil {
		f.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	co := checkout.New(checkout.Options{Ledger: db, Providers: []payment.Provider{&payment.Offline{}}, BaseURL: "http://admit.test", Logger: logger,
		Secret: []byte("0123456789abcdef0123456789abcdef")})
	pages, err := web.New(web.Options{Store: db, Cache: noCache{}, Checkout: co, Logger: logger, OfflineInstructions: "Pay at the door."})
	if err != nil {
		f.Fatal(err)
	}
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry(), HTMLError: pages.RenderError})
	pages.Register(srv.Echo())
	ts := httptest.NewServer(srv.Echo())
	f.Cleanup(ts.Close)
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(t *testing.T, path, form string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		// One buyer throughout: the checkout page opens only for the buyer
		// whose cookie made the hold.
		req.AddCookie(&http.Cookie{Name: "admit_buyer", Value: fuzzBuyer})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s %q: %d\n%.500s", path, form, resp.StatusCode, body)
		}
		return resp.StatusCode
	}

	std, gone := strconv.FormatInt(types[0].ID, 10), strconv.FormatInt(types[1].ID, 10)
	answer := "attendee_0_q_" + strconv.FormatInt(q.ID, 10)
	for _, seed := range [][3]string{
		{"qty_" + std + "=2", "buyer_name=Ada&buyer_email=ada%40example.com&attendee_0_name=Ada&" + answer + "=S&payment_method=offline", "waitlist_ticket_type=" + gone + "&waitlist_name=Ada&waitlist_email=ada%40example.com"},
		{"qty_" + std + "=1&code=VIP", "buyer_name=&buyer_email=x&" + answer + "=XL", "waitlist_ticket_type=" + std + "&waitlist_name=&waitlist_email="},
		{"qty_" + std + "=-1&qty_" + gone + "=1&qty_x=1", "attendee_0_name=" + strings.Repeat("a", 300) + "&payment_method=stripe", "waitlist_ticket_type=abc"},
		{"qty_" + std + "=99999999999999999999", "buyer_email=%zz", "%"},
		{"", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, holdForm, detailsForm, waitlistForm string) {
		post(t, "/e/acme/launch/hold", holdForm)
		hold, err := co.Hold(ctx, ev, []admit.HoldItem{{TicketTypeID: types[0].ID, Quantity: 1}}, checkout.Client{Key: fuzzBuyer})
		if err != nil {
			t.Fatal(err)
		}
		if post(t, "/checkout/"+hold.ID, detailsForm) != http.StatusSeeOther {
			if err := co.CancelHold(ctx, hold.ID); err != nil && admit.ErrorCode(err) != admit.ECONFLICT {
				t.Fatal(err)
			}
		}
		post(t, "/e/acme/launch/waitlist", waitlistForm)
		for _, tt := range types {
			quantity, reserved, sold := mysqltest.Ledger(t, db, tt.ID)
			if reserved < 0 || sold < 0 || reserved+sold > quantity {
				t.Fatalf("%s: reserved %d + sold %d of %d", tt.Name, reserved, sold, quantity)
			}
		}
	})
}
