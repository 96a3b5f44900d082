package main

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/admithq/admit/internal/admit"
)

// cspRecorder is the page script that notes each violation of the
// Content-Security-Policy in the document, added to every document before
// the page's own scripts. Scripts run through DevTools are not subject to
// the policy, so it works under the policy it watches.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + (e.sourceFile || "?") + ":" + e.lineNumber);
});`

// cspWatch collects what the browser reports about the policy: the console
// lines it writes for a refused script, style or frame, exceptions, and
// the violations the recorder saw on the current page.
type cspWatch struct {
	mu    sync.Mutex
	lines []string
}

func mustWatchCSP(tb testing.TB, ctx context.Context) *cspWatch {
	tb.Helper()
	w := &cspWatch{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			text := m.String()
			if m.IsException() || strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Refused to") {
				w.mu.Lock()
				w.lines = append(w.lines, text)
				w.mu.Unlock()
			}
		}
	}()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder}); err != nil {
		tb.Fatalf("adding the violation recorder: %v", err)
	}
	return w
}

// take returns and forgets what was reported so far, with the recorder's
// violations on the page the browser is on.
func (w *cspWatch) take(tb testing.TB, ctx context.Context) []string {
	tb.Helper()
	recorded := mustEval[[]string](tb, ctx, `(window.__cspViolations || []).splice(0)`)
	// Console lines arrive as events; give the last ones a moment.
	time.Sleep(50 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	out := append(recorded, w.lines...)
	w.lines = nil
	return out
}

// crawlable reports whether the browser should open a link found on a
// page: pages of the demo organization, of its operators and of buyers,
// never downloads or the API.
func crawlable(u *url.URL) bool {
	p := u.Path
	switch {
	case strings.Contains(p, "download"), strings.HasSuffix(p, ".pdf"), strings.HasSuffix(p, ".ics"), strings.HasPrefix(p, "/api/"), strings.HasPrefix(p, "/static/"), strings.HasSuffix(p, "/logout"):
		return false
	}
	return p == "/" || p == "/e/demo" || p == "/console" || strings.HasPrefix(p, "/console/demo") || strings.HasPrefix(p, "/console/account") || strings.HasPrefix(p, "/console/admin") ||
		strings.HasPrefix(p, "/e/demo/") || strings.HasPrefix(p, "/o/") || strings.HasPrefix(p, "/checkout/")
}

// TestBrowserPagesKeepTheContentSecurityPolicy opens every page a buyer,
// an organizer, door staff and someone following an emailed link reach,
// at a phone's width and a desktop's, and fails on any violation of the
// policy or script error the browser reports. The policy forbids inline
// script and style, so a page that relied on one would lose it silently.
func TestBrowserPagesKeepTheContentSecurityPolicy(t *testing.T) {
	// The demo organizer operates the installation too, so the sweep
	// reaches the operators' pages.
	s := mustSecureStack(t, map[string]string{"ADMIT_WEBHOOK_ALLOW_PRIVATE": "true", "ADMIT_TRUST_PROXY": "false", "ADMIT_OPERATORS": demoEmail})
	ctx := context.Background()
	standard := s.types["Standard"]
	for _, err := range []error{
		s.db.CreateCheckInList(ctx, &admit.CheckInList{OrganizationID: s.org.ID, EventID: s.event.ID, Name: "Main door",
			TicketTypeIDs: []int64{s.types["Community"].ID, standard.ID}}),
		s.db.CreateWebhookEndpoint(ctx, &admit.WebhookEndpoint{OrganizationID: s.org.ID, URL: "http://127.0.0.1:9/hook",
			EventTypes: []string{"order.paid"}, Enabled: true, Secret: "whsec_" + admit.NewToken(24)}),
		s.db.CreateQuestion(ctx, &admit.Question{OrganizationID: s.org.ID, EventID: s.event.ID, Label: "T-shirt size",
			Kind: admit.QuestionChoice, Options: []string{"S", "M", "L"}}),
		s.db.CreateDiscountCode(ctx, &admit.DiscountCode{OrganizationID: s.org.ID, EventID: s.event.ID, Code: "SPEAKERS-7Q2XW9LM",
			Kind: admit.DiscountPercent, Value: 10000}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	b := mustBrowserWithin(t, 5*time.Minute)
	watch := mustWatchCSP(t, b)

	// The watch must see a violation when there is one: an inline script
	// added to a page is refused and reported.
	mustOpen(t, b, s.base+"/e/demo/gophersummit")
	if ran := mustEval[bool](t, b, `(function () { var s = document.createElement("script"); s.textContent = "window.__inline = true";
		document.head.appendChild(s); return window.__inline === true; })()`); ran {
		t.Fatal("an inline script ran: the page has no Content-Security-Policy")
	}
	if got := watch.take(t, b); len(got) == 0 {
		t.Fatal("an inline script was refused but no violation was reported: the watch sees nothing")
	}

	// A buyer's pages: event, details, order, printable tickets.
	mustChooseTickets(t, b, s.base, "Community", "1")
	checkoutURL := mustURL(t, b).String()
	mustDo(t, b,
		chromedp.SendKeys(chromedp.ID("buyer_name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("buyer_email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("attendee_0_name"), "Ada Lovelace"),
	)
	mustClick(t, b, chromedp.CSS("button[type=submit].primary"), 200)
	orderURL := mustURL(t, b).String()
	mustClick(t, b, chromedp.Search(`//a[normalize-space()="Print or download tickets"]`), 200)
	ticketsURL := mustURL(t, b).String()
	if hidden := mustEval[bool](t, b, `document.getElementById("print").hidden`); hidden {
		t.Error("the tickets page's Print button stays hidden: its script did not run")
	}
	if got := watch.take(t, b); len(got) > 0 {
		t.Errorf("buying a ticket: %q", got)
	}

	// An organizer's pages, found by following every link of the console.
	mustOpen(t, b, s.base+"/console/login")
	mustDo(t, b, chromedp.SendKeys(chromedp.ID("email"), demoEmail), chromedp.SendKeys(chromedp.ID("password"), s.password))
	mustClick(t, b, chromedp.CSS("button[type=submit].primary"), 200)
	mustOpen(t, b, s.base+"/console/demo/tokens")
	mustDo(t, b, chromedp.SendKeys(chromedp.ID("token-name"), "Sweep"))
	mustClick(t, b, chromedp.CSS("button[type=submit].primary"), 201)
	mustDo(t, b, chromedp.Focus(chromedp.ID("secret")))
	if selected := mustEval[string](t, b, `(function (f) { return f.value.substring(f.selectionStart, f.selectionEnd); })(document.getElementById("secret"))`); !strings.HasPrefix(selected, "adm_") {
		t.Errorf("focusing the new token selects %q, want the whole token: its script did not run", selected)
	}

	// Pages reached from emailed links, and the queue.
	stranger := s.agent(t, "")
	stranger.get("/console/password/forgot")
	stranger.post("/console/password/forgot", url.Values{"email": {demoEmail}})
	reset := s.lastOutboxPath(t, "email.password_reset")
	stranger.get("/console/signup")
	stranger.post("/console/signup", url.Values{"org_name": {"Sweep Org"}, "name": {"S"}, "email": {"sweep@example.com"}, "password": {"a long enough password"}})
	confirm := s.lastOutboxPath(t, "email.signup_confirm")
	owner := s.agent(t, "")
	owner.mustLogin(demoEmail, s.password)
	owner.get("/console/demo/team")
	owner.post("/console/demo/team/invitations", url.Values{"email": {"door@example.com"}, "role": {"checkin"}})
	invitation := s.lastOutboxPath(t, "email.team_invitation")

	seeds := []string{"/console", "/console/demo", "/console/account/password", "/console/admin/flags", orderURL, ticketsURL, checkoutURL,
		"/e/demo/gophersummit", "/e/demo/gophersummit?code=SPEAKERS-7Q2XW9LM", "/no-such-page", "/console/login", "/console/signup",
		"/console/password/forgot", reset, confirm, invitation}
	var pages []string
	seen := map[string]bool{}
	for len(seeds) > 0 && len(pages) < 150 {
		next := seeds[0]
		seeds = seeds[1:]
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		u = (&url.URL{Scheme: "http", Host: strings.TrimPrefix(s.base, "http://")}).ResolveReference(u)
		u.Fragment = ""
		if seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		pages = append(pages, u.String())
		if _, err := chromedp.Run(b, chromedp.NavigateResponse(u.String())); err != nil {
			t.Fatalf("opening %s: %v", u, err)
		}
		for _, link := range mustEval[[]string](t, b, `Array.from(document.querySelectorAll("a[href]"), a => a.href)`) {
			l, err := url.Parse(link)
			if err == nil && l.Host == u.Host && crawlable(l) {
				l.Fragment = ""
				seeds = append(seeds, l.String())
			}
		}
	}
	if _, err := s.db.SQL().Exec(`UPDATE events SET waiting_room = TRUE, waiting_room_opens_at = NOW(6) + INTERVAL 1 HOUR, waiting_room_rate = 60 WHERE id = ?`, s.event.ID); err != nil {
		t.Fatal(err)
	}
	pages = append(pages, s.base+"/e/demo/gophersummit/queue")
	if len(pages) < 40 {
		t.Errorf("the sweep found only %d pages: %q", len(pages), pages)
	}

	for _, width := range []int64{390, 1280} {
		mustDo(t, b, chromedp.EmulateViewport(width, 900))
		failed := map[string][]string{}
		for _, p := range pages {
			resp, err := chromedp.Run(b, chromedp.NavigateResponse(p))
			if err != nil {
				t.Fatalf("opening %s at %d px: %v", p, width, err)
			}
			if resp.Status >= 500 {
				t.Errorf("%s at %d px: status %d", p, width, resp.Status)
			}
			if got := watch.take(t, b); len(got) > 0 {
				failed[strings.TrimPrefix(p, s.base)] = got
			}
			// No page scrolls sideways outside its tables, at either width.
			mustFitWidth(t, b, strings.TrimPrefix(p, s.base), width)
		}
		var paths []string
		for p := range failed {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			t.Errorf("%s at %d px: %q", p, width, failed[p])
		}
	}
	t.Logf("%d pages checked at 390 and 1280 px", len(pages))
	if testing.Verbose() {
		fmt.Println(strings.Join(pages, "\n"))
	}
}
