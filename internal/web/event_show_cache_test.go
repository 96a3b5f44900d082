package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/memcache"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/server"
)

// pageFixture serves the pages of one published event with one ticket type
// from the real MySQL and memcached of the local stack.
type pageFixture struct {
	db    *mysql.DB
	event *admit.Event
	tt    *admit.TicketType
	e     *echo.Echo
}

func mustPageFixture(t *testing.T) *pageFixture {
	t.Helper()
	return mustPageFixtureOn(t, mysqltest.MustOpen(t))
}

// mustPageFixtureOn is mustPageFixture on the database db.
func mustPageFixtureOn(t *testing.T, db *mysql.DB) *pageFixture {
	t.Helper()
	ctx := context.Background()
	f := &pageFixture{db: db}
	org := &admit.Organization{Slug: "acme", Name: "Acme"}
	if err := f.db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	f.event = &admit.Event{OrganizationID: org.ID, Slug: "launch", Name: "Launch party", TimeZone: "Europe/Berlin",
		StartsAt: time.Now().Add(30 * 24 * time.Hour), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := f.db.CreateEvent(ctx, f.event); err != nil {
		t.Fatal(err)
	}
	f.tt = &admit.TicketType{OrganizationID: org.ID, EventID: f.event.ID, Name: "Standard", Price: 1500, Quantity: 100,
		MinPerOrder: 1, MaxPerOrder: 4}
	if err := f.db.CreateTicketType(ctx, f.tt); err != nil {
		t.Fatal(err)
	}
	addr := os.Getenv("ADMIT_TEST_MEMCACHED")
	if addr == "" {
		addr = "127.0.0.1:11311"
	}
	cache := memcache.New([]string{addr}, "test:"+admit.NewToken(6)+":")
	if err := cache.Ping(ctx); err != nil {
		t.Fatalf("memcached at %s: %v (start the stack: scripts/stack up)", addr, err)
	}
	h, err := New(Options{Store: f.db, Cache: cache, PageCacheTTL: 3 * time.Second,
		Checkout: checkout.New(checkout.Options{Ledger: f.db, Secret: []byte("0123456789abcdef0123456789abcdef")})})
	if err != nil {
		t.Fatal(err)
	}
	f.e = echo.New()
	f.e.HTTPErrorHandler = func(err error, c echo.Context) {
		// As the server's handler does: the status by the error's code.
		if !c.Response().Committed {
			c.NoContent(server.ErrorStatus(err))
		}
	}
	h.Register(f.e)
	return f
}

// changed asks for the page as b until its ETag is no longer old: the
// rendered page is cached for a second in the process and three in memcached.
func (f *pageFixture) changed(t *testing.T, b *browser, old string) *httptest.ResponseRecorder {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec := b.get(f, "/e/acme/launch", "If-None-Match", old)
		if rec.Code != http.StatusNotModified || time.Now().After(deadline) {
			return rec
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type browser struct {
	cookies map[string]*http.Cookie
}

func newBrowser() *browser { return &browser{cookies: map[string]*http.Cookie{}} }

// get requests path with the browser's cookies and the given headers.
func (b *browser) get(f *pageFixture, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		b.cookies[c.Name] = c
	}
	return rec
}

// TestEventPageETag: the event page carries an ETag over the bytes sent to
// this visitor; asking again with it gets 304 and no body; another visitor
// gets another ETag and never a 304 on the first one's; when the page
// changes (sold out, after the cache expired) the ETag changes.
func TestEventPageETag(t *testing.T) {
	f := mustPageFixture(t)
	a := newBrowser()
	first := a.get(f, "/e/acme/launch")
	if first.Code != http.StatusOK {
		t.Fatalf("event page: %d", first.Code)
	}
	etag := first.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, `W/`) {
		t.Fatalf("ETag %q, want a strong entity tag", etag)
	}
	if cc := first.Header().Get("Cache-Control"); !strings.Contains(cc, "private") || strings.Contains(cc, "public") {
		t.Errorf("Cache-Control %q: a page with a visitor's CSRF token must be private", cc)
	}
	token := a.cookies["admit_csrf"].Value
	if !strings.Contains(first.Body.String(), `value="`+token+`"`) {
		t.Fatal("the page does not carry the visitor's CSRF token")
	}
	if strings.Contains(first.Body.String(), "admit-event:") {
		t.Error("the cache marker was sent to the visitor")
	}

	// The same visitor again, from the cache: same bytes, same ETag.
	again := a.get(f, "/e/acme/launch")
	if again.Header().Get("X-Cache") != "hit" || again.Header().Get("ETag") != etag || again.Body.String() != first.Body.String() {
		t.Errorf("cached page: X-Cache %q, ETag %q (want %q), same body %v", again.Header().Get("X-Cache"),
			again.Header().Get("ETag"), etag, again.Body.String() == first.Body.String())
	}
	for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag, "*"} {
		nm := a.get(f, "/e/acme/launch", "If-None-Match", inm)
		if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 || nm.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d, %d bytes, ETag %q; want 304, no body, %s", inm, nm.Code, nm.Body.Len(), nm.Header().Get("ETag"), etag)
		}
	}
	if st := a.get(f, "/e/acme/launch", "If-None-Match", `"stale"`); st.Code != http.StatusOK || st.Body.Len() == 0 {
		t.Errorf("If-None-Match of another version: %d, want 200 with the page", st.Code)
	}

	// Another visitor: another token, another ETag; the first visitor's
	// ETag never gets them a 304 (nor the first visitor's token).
	b := newBrowser()
	theirs := b.get(f, "/e/acme/launch", "If-None-Match", etag)
	if theirs.Code != http.StatusOK || strings.Contains(theirs.Body.String(), token) {
		t.Fatalf("another visitor with the first one's ETag: %d (want 200 and their own token)", theirs.Code)
	}
	if other := theirs.Header().Get("ETag"); other == "" || other == etag {
		t.Errorf("another visitor's ETag %q, want one of their own", other)
	}
	if again := b.get(f, "/e/acme/launch", "If-None-Match", etag); again.Code != http.StatusOK {
		t.Errorf("another visitor with a cookie and the first one's ETag: %d, want 200", again.Code)
	}

	// The last ticket sells; once the cached page expires, the page and its
	// ETag change.
	mysqltest.SetLedger(t, f.db, f.tt.ID, f.tt.Quantity, 0, f.tt.Quantity)
	sold := f.changed(t, a, etag)
	if sold.Code != http.StatusOK || !strings.Contains(sold.Body.String(), "Sold out") {
		t.Fatalf("after selling out: %d, want 200 and the sold-out page", sold.Code)
	}
	if sold.Header().Get("ETag") == etag {
		t.Error("the page changed but its ETag did not")
	}
	// An edited event: a new ETag again.
	if _, err := f.db.SQL().Exec(`UPDATE events SET name = 'Launch party (moved)' WHERE id = ?`, f.event.ID); err != nil {
		t.Fatal(err)
	}
	edited := f.changed(t, a, sold.Header().Get("ETag"))
	if edited.Code != http.StatusOK || edited.Header().Get("ETag") == sold.Header().Get("ETag") || !strings.Contains(edited.Body.String(), "(moved)") {
		t.Errorf("after an edit: %d, ETag %q (was %q); want 200, the new name and a new ETag", edited.Code, edited.Header().Get("ETag"), sold.Header().Get("ETag"))
	}
}

// TestStaticCacheETag: static files may be kept by any cache and are
// revalidated by ETag.
func TestStaticCacheETag(t *testing.T) {
	f := mustPageFixture(t)
	b := newBrowser()
	first := b.get(f, "/static/admit.css")
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" || !strings.Contains(first.Header().Get("Cache-Control"), "public") {
		t.Fatalf("static file: %d, ETag %q, Cache-Control %q", first.Code, etag, first.Header().Get("Cache-Control"))
	}
	nm := b.get(f, "/static/admit.css", "If-None-Match", etag)
	if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 and no body", nm.Code, nm.Body.Len())
	}
	if other := b.get(f, "/static/countdown.js"); other.Header().Get("ETag") == etag {
		t.Error("two different files share an ETag")
	}
}

// TestEventPageStaleIfError: while MySQL does not answer (a failover), a
// visitor whose cached page has expired gets the last page rendered, not an
// error; a page never rendered is still an error, never another's page.
func TestEventPageStaleIfError(t *testing.T) {
	db, proxy := mysqltest.MustOpenBehindCutProxy(t)
	f := mustPageFixtureOn(t, db)
	if first := newBrowser().get(f, "/e/acme/launch"); first.Code != http.StatusOK {
		t.Fatalf("event page: %d", first.Code)
	}

	proxy.SetCut(true)
	time.Sleep(3200 * time.Millisecond) // past the page's three seconds in memcached
	rec := newBrowser().get(f, "/e/acme/launch")
	if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "stale" || !strings.Contains(rec.Body.String(), "Launch party") {
		t.Errorf("event page while MySQL does not answer: %d, X-Cache %q; want the last page, marked stale",
			rec.Code, rec.Header().Get("X-Cache"))
	}
	if other := newBrowser().get(f, "/e/acme/never-shown"); other.Code == http.StatusOK {
		t.Errorf("a page never rendered answered %d while MySQL did not answer", other.Code)
	}
}
