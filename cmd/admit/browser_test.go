package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// browserTimeout bounds everything one test does in the browser, from
// starting Chromium on, so a page that never loads fails the test.
const browserTimeout = 60 * time.Second

func TestBrowserBuysFreeTicket(t *testing.T) {
	dsn, base := mustServeDemo(t)
	ctx := mustBrowser(t)

	community := mustChooseTickets(t, ctx, base, "Community", "1")
	mustCountdownTicks(t, ctx)
	mustDo(t, ctx,
		chromedp.SendKeys(chromedp.ID("buyer_email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("attendee_0_name"), "Ada Lovelace"),
	)
	mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 422)
	mustScreenshot(t, ctx, "free-details-problem")
	if msg := mustText(t, ctx, "#buyer_name + p.error"); msg == "" {
		t.Error("no error message is shown next to the empty buyer name")
	}
	for id, want := range map[string]string{"buyer_email": "ada@example.com", "attendee_0_name": "Ada Lovelace"} {
		if got, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id))); err != nil || got != want {
			t.Errorf("after the failed submit #%s = %q (%v), want the typed %q", id, got, err, want)
		}
	}
	mustDo(t, ctx, chromedp.SendKeys(chromedp.ID("buyer_name"), "Ada Lovelace"))
	mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 200)
	mustScreenshot(t, ctx, "free-order")

	ref := mustOrderPage(t, ctx, "You're going")
	codes := mustTexts(t, ctx, ".code code")
	if len(codes) != 1 || codes[0] == "" {
		t.Fatalf("order page shows ticket codes %q, want exactly one", codes)
	}
	qr := mustEval[[]string](t, ctx, `Array.from(document.querySelectorAll("img.qr"), img => img.getAttribute("src"))`)
	if len(qr) != 1 || !strings.HasPrefix(qr[0], "data:image/png;base64,") {
		t.Errorf("order page QR images: %d, want one with a data:image/png src", len(qr))
	}

	if links := mustTexts(t, ctx, "a.button"); !strings.Contains(strings.Join(links, "\n"), "Print or download tickets") {
		t.Fatalf("order page has no \"Print or download tickets\" link, only %q", links)
	}
	mustClick(t, ctx, chromedp.Search(`//a[normalize-space()="Print or download tickets"]`), 200)
	mustScreenshot(t, ctx, "free-tickets")
	if got := mustTexts(t, ctx, ".printable-ticket .code code"); !cmp.Equal(got, codes) {
		t.Errorf("printable tickets show codes %q, want %q", got, codes)
	}

	want := orderState{Status: "paid", PaymentProvider: "free", Tickets: "valid", Sold: 1}
	if diff := cmp.Diff(want, mustOrder(t, dsn, ref, community)); diff != "" {
		t.Errorf("stored order (-want +got):\n%s", diff)
	}
}

func TestBrowserBuysOfflinePaidTicket(t *testing.T) {
	dsn, base := mustServeDemo(t)
	ctx := mustBrowser(t)

	standard := mustChooseTickets(t, ctx, base, "Standard", "2")
	offline := chromedp.CSS(`input[name=payment_method][value=offline]`)
	mustDo(t, ctx,
		chromedp.SendKeys(chromedp.ID("buyer_name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.ID("buyer_email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.ID("attendee_0_name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.ID("attendee_0_email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.ID("attendee_1_name"), "Alan Turing"),
		chromedp.Click(offline),
	)
	if checked, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](offline, "checked")); err != nil || !checked {
		t.Fatalf("offline payment is not chosen (checked %v, err %v)", checked, err)
	}
	mustScreenshot(t, ctx, "offline-details")
	mustClick(t, ctx, chromedp.CSS("button[type=submit].primary"), 200)
	mustScreenshot(t, ctx, "offline-order")

	ref := mustOrderPage(t, ctx, "Order received")
	if status := mustText(t, ctx, "p.notice"); !strings.Contains(status, "awaiting payment") {
		t.Errorf("order page says %q, want it to be awaiting payment", status)
	}
	if codes := mustTexts(t, ctx, ".code code"); len(codes) != 0 {
		t.Errorf("unpaid order shows ticket codes %q", codes)
	}

	want := orderState{Status: "pending", PaymentProvider: "offline", Tickets: "pending,pending", Sold: 2}
	if diff := cmp.Diff(want, mustOrder(t, dsn, ref, standard)); diff != "" {
		t.Errorf("stored order (-want +got):\n%s", diff)
	}
}

// mustServeDemo starts admit serve on a fresh database holding the demo event.
func mustServeDemo(tb testing.TB) (dsn, baseURL string) {
	tb.Helper()
	dsn = mysqltest.MustDSN(tb)
	getenv := testEnv(tb, dsn, nil)
	mustRun(tb, getenv, "migrate", "up")
	mustRun(tb, getenv, "demo")
	baseURL, _ = mustServe(tb, getenv)
	return dsn, baseURL
}

// mustBrowser starts a headless Chromium with its own profile and returns a
// tab's context; it ends with the test, and at the latest after browserTimeout.
func mustBrowser(tb testing.TB) context.Context {
	tb.Helper()
	return mustBrowserWithin(tb, browserTimeout)
}

// mustBrowserWithin is the one launcher of the browser tests: mustBrowser
// with a deadline of timeout instead of browserTimeout.
func mustBrowserWithin(tb testing.TB, timeout time.Duration) context.Context {
	tb.Helper()
	name := os.Getenv("ADMIT_TEST_CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("Chromium not found (%v): run scripts/stack up, which installs it, or set ADMIT_TEST_CHROMIUM", err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(tb.TempDir()), chromedp.WindowSize(1280, 900)}
	// Without the flags that stop background networking, Chromium's outgoing
	// connections are refused on machines without internet and it stalls.
	for _, flag := range []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
		"disable-background-networking", "disable-component-update", "disable-sync", "disable-dev-shm-usage"} {
		opts = append(opts, chromedp.Flag(flag, true))
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	ctx, cancelAllocator := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelTab := chromedp.NewContext(ctx)
	tb.Cleanup(func() { cancelTab(); cancelAllocator(); cancelTimeout() })
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// mustChooseTickets opens the demo event page, picks qty tickets of the type
// named ticketType, and lands on the details page; it returns the type's id.
func mustChooseTickets(tb testing.TB, ctx context.Context, baseURL, ticketType, qty string) string {
	tb.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(baseURL+"/e/demo/gophersummit"))
	if err != nil || resp.Status != 200 {
		tb.Fatalf("event page: response %v, err %v", resp, err)
	}
	if got := mustTexts(tb, ctx, "li.ticket-type .tt-name"); !cmp.Equal(got, []string{"Community", "Standard", "Supporter"}) {
		tb.Fatalf("event page offers %q", got)
	}
	ids := mustEval[map[string]string](tb, ctx, `Object.fromEntries(Array.from(document.querySelectorAll("li.ticket-type"),
		li => [li.querySelector(".tt-name").innerText.trim(), li.dataset.ticketType]))`)
	id := ids[ticketType]
	mustDo(tb, ctx, chromedp.SetValue(chromedp.CSS(`select[name="qty_`+id+`"]`), qty))
	mustScreenshot(tb, ctx, "event")
	mustClick(tb, ctx, chromedp.CSS("button[type=submit].primary"), 200)
	if path := mustURL(tb, ctx).Path; !strings.HasPrefix(path, "/checkout/") {
		tb.Fatalf("after choosing tickets the browser is at %s, want the details page", path)
	}
	if got := mustText(tb, ctx, "h1"); got != "Your details" {
		tb.Fatalf("details page heading %q", got)
	}
	return id
}

// mustCountdownTicks checks that the hold's countdown runs: it shows M:SS
// and changes within a second and a half.
func mustCountdownTicks(tb testing.TB, ctx context.Context) {
	tb.Helper()
	minutes := regexp.MustCompile(`^\d+:[0-5]\d$`)
	before := mustText(tb, ctx, ".countdown .timer")
	mustDo(tb, ctx, chromedp.Sleep(1500*time.Millisecond))
	after := mustText(tb, ctx, ".countdown .timer")
	if !minutes.MatchString(before) || !minutes.MatchString(after) || before == after {
		tb.Errorf("countdown shows %q, then %q 1.5 s later; want a ticking M:SS", before, after)
	}
}

// mustOrderPage checks that the browser shows an order whose heading contains
// heading, at the URL of the reference it shows; it returns that reference.
func mustOrderPage(tb testing.TB, ctx context.Context, heading string) string {
	tb.Helper()
	if h1 := mustText(tb, ctx, "h1"); !strings.Contains(h1, heading) {
		tb.Fatalf("order page heading %q, want %q", h1, heading)
	}
	ref := mustText(tb, ctx, ".reference")
	if u := mustURL(tb, ctx); ref == "" || u.Path != "/o/"+ref || u.Query().Get("token") == "" {
		tb.Fatalf("order page at %s shows reference %q", u, ref)
	}
	return ref
}

// mustClick clicks the element and waits for the page it loads, which must
// answer with the status want.
func mustClick[S chromedp.Selectable](tb testing.TB, ctx context.Context, sel S, want int64) {
	tb.Helper()
	from := where(ctx)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel))
	if err != nil {
		tb.Fatalf("clicking %v on %s: %v", sel, from, err)
	}
	if resp.Status != want {
		tb.Fatalf("clicking %v on %s: %s answered %d, want %d; page:\n%s", sel, from, resp.URL, resp.Status, want, mustText(tb, ctx, "body"))
	}
}

func mustDo(tb testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.Fatalf("on %s: %v", where(ctx), err)
	}
}

func mustEval[T any](tb testing.TB, ctx context.Context, js string) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func mustURL(tb testing.TB, ctx context.Context) *url.URL {
	tb.Helper()
	loc := where(ctx)
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() {
		tb.Fatalf("the browser is at %s (%v)", loc, err)
	}
	return u
}

// where names the page the browser is on, for failure messages: it must not
// fail itself when the context has run out.
func where(ctx context.Context) string {
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "an unknown page"
	}
	return u
}

// mustTexts returns the text a reader sees in each element matching css; it
// does not wait, the page has loaded.
func mustTexts(tb testing.TB, ctx context.Context, css string) []string {
	tb.Helper()
	q, _ := json.Marshal(css)
	return mustEval[[]string](tb, ctx, `Array.from(document.querySelectorAll(`+string(q)+`), e => e.innerText.trim())`)
}

func mustText(tb testing.TB, ctx context.Context, css string) string {
	tb.Helper()
	texts := mustTexts(tb, ctx, css)
	if len(texts) == 0 {
		tb.Fatalf("no %s on %s", css, where(ctx))
	}
	return texts[0]
}

// mustScreenshot captures the whole page as a PNG. It is written out only if
// the test fails, or, with ADMIT_TEST_SCREENSHOTS=dir, into dir together with
// the page as a 390x844 phone shows it.
func mustScreenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	shots := map[string][]byte{name + ".png": png}
	dir := os.Getenv("ADMIT_TEST_SCREENSHOTS")
	if dir != "" {
		mustDo(tb, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
		phone, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		// Not ResetViewport: its override keeps the phone's width.
		_, clearErr := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		if err := errors.Join(err, clearErr); err != nil {
			tb.Fatalf("phone screenshot %s: %v", name, err)
		}
		shots[name+"-phone.png"] = phone
	}
	tb.Cleanup(func() {
		dir := dir
		if dir == "" {
			if !tb.Failed() {
				return
			}
			dir = os.TempDir() // not tb.TempDir, which goes when the test ends
		}
		for file, png := range shots {
			path := filepath.Join(dir, "admit-"+strings.ReplaceAll(tb.Name(), "/", "_")+"-"+file)
			if err := os.WriteFile(path, png, 0o644); err != nil {
				tb.Errorf("saving screenshot: %v", err)
			} else {
				tb.Logf("screenshot: %s", path)
			}
		}
	})
}

// orderState is what the database holds for an order: its status, payment
// provider and the status of each ticket ("valid,valid"), and the sold count
// of the ticket type bought.
type orderState struct {
	Status, PaymentProvider, Tickets string
	Sold                             int
}

func mustOrder(tb testing.TB, dsn, ref, ticketType string) orderState {
	tb.Helper()
	db, err := mysql.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var s orderState
	err = db.SQL().QueryRowContext(context.Background(), `SELECT o.status, o.payment_provider,
		COALESCE((SELECT GROUP_CONCAT(t.status ORDER BY t.id) FROM tickets t WHERE t.order_id = o.id), ''),
		(SELECT SUM(sold) FROM ticket_type_buckets WHERE ticket_type_id = ?)
		FROM orders o WHERE o.reference = ?`, ticketType, ref).Scan(&s.Status, &s.PaymentProvider, &s.Tickets, &s.Sold)
	if err != nil {
		tb.Fatalf("order %s: %v", ref, err)
	}
	return s
}
