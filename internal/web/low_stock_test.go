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
	"github.com/admithq/admit/internal/flags"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/web"
)

// TestLowStockNoticeFlag: with checkout.low_stock_notice on for the
// organization, a ticket type with a few tickets left shows "Only N left"
// in its row; off, the row is as before; a hold is counted in the checkout
// metrics under the flag's state.
func TestLowStockNoticeFlag(t *testing.T) {
	ctx := context.Background()
	db := mysqltest.MustOpen(t)
	slug := "low-" + strings.ToLower(admit.NewToken(4))
	org := &admit.Organization{Slug: slug, Name: "Low"}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	ev := &admit.Event{OrganizationID: org.ID, Slug: "gig", Name: "Gig", TimeZone: "UTC",
		StartsAt: time.Now().Add(30 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	tt := &admit.TicketType{OrganizationID: org.ID, EventID: ev.ID, Name: "Front row", Quantity: 3, MinPerOrder: 1, MaxPerOrder: 2}
	if err := db.CreateTicketType(ctx, tt); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	co := checkout.New(checkout.Options{Ledger: db, Providers: []payment.Provider{&payment.Offline{}}, BaseURL: "http://admit.test", Logger: logger})
	reg := prometheus.NewRegistry()
	set := flags.New(db, time.Millisecond, logger)
	pages, err := web.New(web.Options{Store: db, Cache: noCache{}, Checkout: co, Logger: logger, Flags: set, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry(), HTMLError: pages.RenderError})
	pages.Register(srv.Echo())
	ts := httptest.NewServer(srv.Echo())
	defer ts.Close()
	get := func() string {
		time.Sleep(5 * time.Millisecond) // past the flag cache's lifetime
		resp, err := http.Get(ts.URL + "/e/" + slug + "/gig")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	if body := get(); strings.Contains(body, "tt-low") || !strings.Contains(body, "only 3 left") {
		t.Errorf("flag off: the row should keep its state line and have no notice")
	}
	for _, setting := range []string{slug, "all", "100%"} {
		f, err := admit.ParseFlag(admit.FlagLowStockNotice, setting)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetFlag(ctx, f, "test"); err != nil {
			t.Fatal(err)
		}
		if body := get(); !strings.Contains(body, `<p class="tt-low" role="status">Only 3 left</p>`) {
			t.Errorf("flag %s: no low-stock notice", setting)
		}
	}
	other, _ := admit.ParseFlag(admit.FlagLowStockNotice, "someone-else")
	if _, err := db.SetFlag(ctx, other, "test"); err != nil {
		t.Fatal(err)
	}
	if body := get(); strings.Contains(body, "tt-low") {
		t.Error("a flag for another organization shows the notice here")
	}

	req, _ := http.NewRequest("POST", ts.URL+"/e/"+slug+"/gig/hold", strings.NewReader("qty_"+strconv.FormatInt(tt.ID, 10)+"=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hold: %d", resp.StatusCode)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var counted []string
	for _, mf := range mfs {
		if mf.GetName() != "admit_checkout_steps_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			counted = append(counted, labels["step"]+" "+labels["outcome"]+" "+labels["flag"]+"="+labels["state"]+" "+strconv.Itoa(int(m.GetCounter().GetValue())))
		}
	}
	if want := "hold ok " + admit.FlagLowStockNotice + "=off 1"; len(counted) != 1 || counted[0] != want {
		t.Errorf("checkout metrics %q, want [%q]", counted, want)
	}
	changes, err := db.FlagChanges(ctx, 10)
	if err != nil || len(changes) < 4 || changes[0].New != "someone-else" || changes[0].By != "test" {
		t.Errorf("flag changes audited: %+v, %v", changes, err)
	}
}
