package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// attendeeRedisDB is the Redis database of this file's serve and worker:
// the worker's queue is shared by every process on the database, and must
// not take other tests' tasks.
const attendeeRedisDB = 7

// attendeeStack is serve and worker on a fresh database holding the demo,
// whose event has payment instructions of its own.
type attendeeStack struct {
	base, password string
	db             *mysql.DB
	org            *admit.Organization
	event          *admit.Event
}

func mustAttendeeStack(tb testing.TB) *attendeeStack {
	tb.Helper()
	ctx := context.Background()
	dsn := mysqltest.MustDSN(tb)
	getenv := testEnv(tb, dsn, map[string]string{"ADMIT_REDIS_DB": strconv.Itoa(attendeeRedisDB)})
	mustRun(tb, getenv, "migrate", "up")
	m := demoLogin.FindStringSubmatch(mustRun(tb, getenv, "demo"))
	if m == nil {
		tb.Fatal("admit demo printed no organizer password")
	}
	s := &attendeeStack{password: m[1]}
	var err error
	if s.db, err = mysql.Open(dsn); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.db.Close() })
	if s.org, err = s.db.FindOrganizationBySlug(ctx, demoOrgSlug); err != nil {
		tb.Fatal(err)
	}
	if s.event, err = s.db.FindEventBySlug(ctx, s.org.ID, demoEventSlug); err != nil {
		tb.Fatal(err)
	}
	s.event.Payment = admit.PaymentInstructions{Payee: "Gophers Summit e.V.", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX",
		Text: "Use your order reference as the transfer's purpose.", DueDays: 7}
	if err := s.db.SetEventPublicSettings(ctx, s.org.ID, s.event); err != nil {
		tb.Fatal(err)
	}
	s.base, _ = mustServe(tb, getenv)
	wctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(wctx, []string{"admit", "worker"}, getenv, io.Discard, io.Discard) }()
	tb.Cleanup(func() { stop(); <-done })
	return s
}

// mustNoSidewaysScroll checks that the page is no wider than the window:
// only tables may scroll sideways, inside their own box.
func mustNoSidewaysScroll(tb testing.TB, ctx context.Context, width int64) {
	tb.Helper()
	sizes := mustEval[[]int](tb, ctx, `[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]`)
	if sizes[0] > sizes[1] {
		wide := mustEval[[]string](tb, ctx, `Array.from(document.querySelectorAll("body *"))
			.filter(e => e.getBoundingClientRect().right > document.scrollingElement.clientWidth + 1 && !e.closest("table"))
			.slice(0, 5).map(e => e.tagName + "." + e.className)`)
		tb.Errorf("%s at %d px scrolls sideways: %d px wide in a %d px window; too wide: %q", where(ctx), width, sizes[0], sizes[1], wide)
	}
}

// TestBrowserAttendeeJourney: at phone and desktop width an attendee finds
// the event from the start page, copies their own details to the ticket,
// is shown their mistakes with the focus on the first, pays offline and
// reads how to pay on the order page and in the email; no page scrolls
// sideways.
func TestBrowserAttendeeJourney(t *testing.T) {
	s := mustAttendeeStack(t)
	tag := "j" + strings.ToLower(admit.NewToken(4))
	for _, width := range []int64{390, 1280} {
		t.Run(strconv.FormatInt(width, 10), func(t *testing.T) {
			ctx := mustBrowser(t)
			mustDo(t, ctx, chromedp.EmulateViewport(width, 844))
			check := func() { t.Helper(); mustNoSidewaysScroll(t, ctx, width) }

			mustOpen(t, ctx, s.base+"/")
			check()
			mustClick(t, ctx, chromedp.CSS(`a.event-link[href="/e/demo/gophersummit"]`), 200)
			check()
			if by := mustText(t, ctx, "p.organizer"); !strings.Contains(by, s.org.Name) {
				t.Errorf("event page names the organizer as %q, want %q", by, s.org.Name)
			}
			if home := mustEval[string](t, ctx, `document.querySelector("a.brand").getAttribute("href")`); home != "/e/demo" {
				t.Errorf("the header leads to %q, want the organizer's page /e/demo", home)
			}
			ids := mustEval[map[string]string](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll("li.ticket-type"),
				li => [li.querySelector(".tt-name").innerText.trim(), li.dataset.ticketType]))`)
			mustDo(t, ctx, chromedp.SetValue(chromedp.CSS(`select[name="qty_`+ids["Standard"]+`"]`), "1"))
			mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 200)
			check()

			buyer := fmt.Sprintf("ada-%s-%d@example.com", tag, width)
			mustDo(t, ctx, chromedp.SendKeys(chromedp.ID("buyer_name"), "Ada Lovelace"))
			mustDo(t, ctx, chromedp.Click(chromedp.CSS(`button[data-copy-buyer="0"]`)))
			if got := mustEval[string](t, ctx, `document.getElementById("attendee_0_name").value`); got != "Ada Lovelace" {
				t.Errorf("after copying the buyer the attendee is %q", got)
			}
			mustDo(t, ctx, chromedp.Click(chromedp.CSS(`input[name=payment_method][value=offline]`)))
			mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 422)
			check()
			if focused := mustEval[string](t, ctx, `document.activeElement.id`); focused != "buyer_email" {
				t.Errorf("after a refused submit the focus is on %q, want the first field with a problem, buyer_email", focused)
			}
			described := mustEval[string](t, ctx, `document.getElementById(document.getElementById("buyer_email").getAttribute("aria-describedby")).innerText`)
			if described == "" {
				t.Error("the email field is not described by its problem")
			}
			if role := mustEval[string](t, ctx, `document.getElementById("error-summary").getAttribute("role")`); role != "alert" {
				t.Errorf("the summary of problems has role %q, want alert", role)
			}
			mustDo(t, ctx, chromedp.SendKeys(chromedp.ID("buyer_email"), buyer))
			mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 200)
			check()
			ref := mustOrderPage(t, ctx, "Order received")
			pay := mustText(t, ctx, "section.payment")
			for _, want := range []string{"Gophers Summit e.V.", "DE89 3704 0044 0532 0130 00", "COBADEFFXXX", ref, "Please pay by"} {
				if !strings.Contains(pay, want) {
					t.Errorf("order page's payment section lacks %q:\n%s", want, pay)
				}
			}

			mail := mustEmailTo(t, buyer, "awaiting payment", 30*time.Second)
			for _, want := range []string{"Payee: Gophers Summit e.V.", "IBAN: DE89 3704 0044 0532 0130 00", "BIC: COBADEFFXXX",
				"Reference: " + ref, "Please pay by"} {
				if !strings.Contains(mail.Body.Text, want) {
					t.Errorf("the email lacks %q:\n%s", want, mail.Body.Text)
				}
			}
			if !strings.Contains(mail.Body.HTML, "DE89 3704 0044 0532 0130 00") {
				t.Error("the HTML email lacks the IBAN")
			}

			// The start and the organizer's page, and a free order's
			// confirmation and printable tickets.
			mustOpen(t, ctx, s.base+"/e/demo")
			check()
			mustOpen(t, ctx, s.base+"/e/demo/gophersummit")
			mustDo(t, ctx, chromedp.SetValue(chromedp.CSS(`select[name="qty_`+ids["Community"]+`"]`), "1"))
			mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 200)
			mustDo(t, ctx, chromedp.SendKeys(chromedp.ID("buyer_name"), "Grace Hopper"),
				chromedp.SendKeys(chromedp.ID("buyer_email"), "grace-"+buyer))
			mustDo(t, ctx, chromedp.Click(chromedp.CSS(`button[data-copy-buyer="0"]`)))
			mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 200)
			check()
			mustOrderPage(t, ctx, "You're going")
			mustFollow(t, ctx, "Print or download tickets")
			check()
			if print := mustEval[bool](t, ctx, `!document.getElementById("print").hidden`); !print {
				t.Error("the printable tickets page shows no Print button")
			}
		})
	}
}

// mustEmailTo waits for the email to address whose subject contains
// subject, from the SES emulator's store.
func mustEmailTo(tb testing.TB, address, subject string, within time.Duration) sesEmail {
	tb.Helper()
	since := strconv.FormatInt(time.Now().Add(-5*time.Minute).Unix(), 10)
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get("http://127.0.0.1:18005/store?since=" + since)
		if err != nil {
			tb.Fatalf("SES emulator: %v (start the stack: scripts/stack up)", err)
		}
		var store struct {
			Emails []sesEmail `json:"emails"`
		}
		err = json.NewDecoder(resp.Body).Decode(&store)
		resp.Body.Close()
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range store.Emails {
			if len(e.Destination.To) > 0 && e.Destination.To[0] == address && strings.Contains(e.Subject, subject) {
				return e
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no email to %s about %q within %s", address, subject, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sesEmail is one email as the SES emulator stored it.
type sesEmail struct {
	Subject     string `json:"subject"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Body struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
}

// TestBrowserDraftPreview: a member previews a draft's public page from the
// console; its public address stays 404 to everyone, the member included.
func TestBrowserDraftPreview(t *testing.T) {
	s := mustAttendeeStack(t)
	draft := &admit.Event{OrganizationID: s.org.ID, Slug: "gophers-unplugged", Name: "Gophers Unplugged", TimeZone: "Europe/Berlin",
		StartsAt: time.Now().AddDate(0, 3, 0).Truncate(time.Minute), Currency: "EUR", Status: admit.EventDraft, HoldMinutes: 10, Venue: "Kulturbrauerei"}
	if err := s.db.CreateEvent(context.Background(), draft); err != nil {
		t.Fatal(err)
	}
	ctx := mustBrowser(t)
	mustOpen(t, ctx, s.base+"/console/login")
	mustDo(t, ctx, chromedp.SendKeys(chromedp.ID("email"), "organizer@demo.admit.localhost"),
		chromedp.SendKeys(chromedp.ID("password"), s.password))
	mustClick(t, ctx, chromedp.CSS("button[type=submit]"), 200)
	for _, width := range []int64{390, 1280} {
		mustDo(t, ctx, chromedp.EmulateViewport(width, 844))
		mustOpen(t, ctx, s.base+"/console/demo/events/"+strconv.FormatInt(draft.ID, 10))
		mustFollow(t, ctx, "preview the public page")
		if h1 := mustText(t, ctx, "h1"); h1 != "Gophers Unplugged" {
			t.Errorf("preview heading %q", h1)
		}
		if notice := mustText(t, ctx, "p.notice"); !strings.Contains(notice, "Preview of a draft") {
			t.Errorf("preview notice %q", notice)
		}
		mustNoSidewaysScroll(t, ctx, width)
	}
	public := s.base + "/e/demo/gophers-unplugged"
	for name, browser := range map[string]context.Context{"member": ctx, "stranger": mustPrivateWindow(t, ctx)} {
		resp, err := chromedp.Run(browser, chromedp.NavigateResponse(public))
		if err != nil || resp.Status != http.StatusNotFound {
			t.Errorf("the draft's public address for a %s: %v %v, want 404", name, resp, err)
		}
	}
	stranger := mustPrivateWindow(t, ctx)
	resp, err := chromedp.Run(stranger, chromedp.NavigateResponse(s.base+"/console/demo/events/"+strconv.FormatInt(draft.ID, 10)+"/preview"))
	if err != nil || resp.Status == http.StatusOK && strings.Contains(mustText(t, stranger, "body"), "Gophers Unplugged") {
		t.Errorf("the preview without signing in: %v %v, want the login", resp, err)
	}
}
