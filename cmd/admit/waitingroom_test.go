package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

type visitor struct {
	t      *testing.T
	client *http.Client
	base   string
}

func newVisitor(t *testing.T, base string) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (v *visitor) do(method, path, body string) (int, string, string) {
	v.t.Helper()
	req, _ := http.NewRequest(method, v.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// TestWaitingRoom: with the room on, the event page and the hold API send a
// visitor to the queue; at the front they get a pass bound to them, which
// nobody else can use; with Redis gone nobody is let through.
func TestWaitingRoom(t *testing.T) {
	ctx := context.Background()
	dsn := mysqltest.MustDSN(t)
	getenv := testEnv(t, dsn, nil)
	mustRun(t, getenv, "demo")
	db, _ := mysql.Open(dsn)
	defer db.Close()
	org, _ := db.FindOrganizationBySlug(ctx, "demo")
	ev, _ := db.FindEventBySlug(ctx, org.ID, "gophersummit")
	types, _ := db.ListTicketTypes(ctx, org.ID, ev.ID, false)
	// Open since a minute ago, 600 a minute: the first visitors pass at once.
	if _, err := db.SQL().Exec(`UPDATE events SET waiting_room = TRUE, waiting_room_opens_at = NOW(6) - INTERVAL 1 MINUTE, waiting_room_rate = 600 WHERE id = ?`, ev.ID); err != nil {
		t.Fatal(err)
	}
	redisProxy := mustProxy(t, "127.0.0.1:16379")
	base, _ := mustServe(t, testEnv(t, dsn, map[string]string{"ADMIT_REDIS_ADDR": redisProxy.addr}))
	hold := fmt.Sprintf(`{"items":[{"ticket_type_id":%d,"quantity":1}]}`, types[1].ID)

	a := newVisitor(t, base)
	if st, loc, _ := a.do("GET", "/e/demo/gophersummit", ""); st != http.StatusSeeOther || loc != "/e/demo/gophersummit/queue" {
		t.Fatalf("event page without a pass: %d %s, want a redirect to the queue", st, loc)
	}
	if st, _, body := a.do("POST", "/api/checkout/v1/events/demo/gophersummit/holds", hold); st != http.StatusForbidden || !strings.Contains(body, `"waiting_room"`) {
		t.Fatalf("hold without a pass: %d %s", st, body)
	}
	if st, loc, _ := a.do("GET", "/e/demo/gophersummit/queue", ""); st != http.StatusSeeOther || loc != "/e/demo/gophersummit" {
		t.Fatalf("queue at the front: %d %s, want a pass and a redirect to the event", st, loc)
	}
	if st, _, _ := a.do("GET", "/e/demo/gophersummit", ""); st != http.StatusOK {
		t.Fatalf("event page with a pass: %d", st)
	}
	if st, _, body := a.do("POST", "/api/checkout/v1/events/demo/gophersummit/holds", hold); st != http.StatusCreated {
		t.Fatalf("hold with a pass: %d %s", st, body)
	}
	// A bot copies the pass cookie but not the buyer cookie: refused.
	bot := newVisitor(t, base)
	var pass *http.Cookie
	u := a.client.Jar.Cookies(mustParseURL(t, base))
	for _, c := range u {
		if strings.HasPrefix(c.Name, "admit_pass_") {
			pass = c
		}
	}
	if pass == nil {
		t.Fatal("no pass cookie was issued")
	}
	bot.client.Jar.SetCookies(mustParseURL(t, base), []*http.Cookie{pass})
	if st, _, _ := bot.do("POST", "/api/checkout/v1/events/demo/gophersummit/holds", hold); st != http.StatusForbidden {
		t.Errorf("hold with another visitor's pass: %d, want 403", st)
	}
	// Redis is gone: a new visitor is not let through, the queue says so.
	redisProxy.down()
	c := newVisitor(t, base)
	st, _, body := c.do("GET", "/e/demo/gophersummit/queue", "")
	if st != http.StatusServiceUnavailable || !strings.Contains(body, "catching its breath") {
		t.Errorf("queue with Redis down: %d, want 503 and the waiting page", st)
	}
	for _, ck := range c.client.Jar.Cookies(mustParseURL(t, base)) {
		if strings.HasPrefix(ck.Name, "admit_pass_") {
			t.Error("a pass was issued while the queue could not be read")
		}
	}
}

func mustParseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
