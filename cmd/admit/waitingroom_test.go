package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// mustDemoEvent loads the demo into a fresh database and returns its DSN,
// storage on it (closed when the test ends) and the demo event with its
// ticket types.
func mustDemoEvent(t *testing.T) (string, *mysql.DB, *admit.Event, []*admit.TicketType) {
	t.Helper()
	ctx := context.Background()
	dsn := mysqltest.MustDSN(t)
	mustRun(t, testEnv(t, dsn, nil), "demo")
	db, err := mysql.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org, err := db.FindOrganizationBySlug(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := db.FindEventBySlug(ctx, org.ID, "gophersummit")
	if err != nil {
		t.Fatal(err)
	}
	types, err := db.ListTicketTypes(ctx, org.ID, ev.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return dsn, db, ev, types
}

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
	dsn, db, ev, types := mustDemoEvent(t)
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
	st, loc, _ := a.do("GET", "/e/demo/gophersummit/queue", "")
	if st != http.StatusSeeOther || loc != "/e/demo/gophersummit?through=1" {
		t.Fatalf("queue at the front: %d %s, want a pass and a redirect to the event", st, loc)
	}
	// The visitor is told their turn came and how long the pass lasts.
	if st, _, body := a.do("GET", loc, ""); st != http.StatusOK || !strings.Contains(body, "You&#39;re through") || !strings.Contains(body, "15 minutes") {
		t.Fatalf("event page just through the queue: %d, want the notice with the minutes left\n%.2000s", st, body)
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

// TestWaitingRoomEngagesAutomatically: with no room turned on, visitors
// below the automatic rate go straight to the tickets; a burst above it
// engages the room, so the next visitor is sent to the queue and the hold
// API asks for a pass; the queue lets visitors through at the rate, and
// those with a pass buy; once arrivals have stayed low for the room's TTL,
// it disengages and visitors go straight to the tickets again.
func TestWaitingRoomEngagesAutomatically(t *testing.T) {
	dsn, _, _, types := mustDemoEvent(t)
	const perSecond, engagedFor = 10, 4 * time.Second
	base, _ := mustServe(t, testEnv(t, dsn, map[string]string{"ADMIT_REDIS_DB": "13", "ADMIT_HOLDS_PER_CLIENT": "0",
		"ADMIT_WAITING_ROOM_AUTO_RATE": strconv.Itoa(perSecond), "ADMIT_WAITING_ROOM_AUTO_FOR": engagedFor.String()}))
	hold := fmt.Sprintf(`{"items":[{"ticket_type_id":%d,"quantity":1}]}`, types[1].ID)
	const page, queue, holds = "/e/demo/gophersummit", "/e/demo/gophersummit/queue", "/api/checkout/v1/events/demo/gophersummit/holds"
	hasPass := func(v *visitor) bool {
		for _, c := range v.client.Jar.Cookies(mustParseURL(t, base)) {
			if strings.HasPrefix(c.Name, "admit_pass_") {
				return true
			}
		}
		return false
	}

	// Below the rate: nobody queues.
	for i := range 3 {
		v := newVisitor(t, base)
		if st, loc, _ := v.do("GET", page, ""); st != http.StatusOK {
			t.Fatalf("visitor %d below the rate: %d %s, want the event page", i, st, loc)
		}
	}
	if st, _, body := newVisitor(t, base).do("POST", holds, hold); st != http.StatusCreated {
		t.Fatalf("hold below the rate: %d %s", st, body)
	}

	// A burst well above the rate engages the room (at some moment during
	// the burst: the queue's meter runs from then).
	burst := time.Now()
	queued := 0
	for range 5 * perSecond {
		if st, loc, _ := newVisitor(t, base).do("GET", page, ""); st == http.StatusSeeOther && loc == queue {
			queued++
		}
	}
	engaged := time.Now() // engaged by now, perhaps a while ago
	if queued == 0 {
		t.Fatalf("a burst of %d visitors: nobody was sent to the queue", 5*perSecond)
	}
	next := newVisitor(t, base)
	if st, loc, _ := next.do("GET", page, ""); st != http.StatusSeeOther || loc != queue {
		t.Fatalf("the visitor after the burst: %d %s, want a redirect to the queue", st, loc)
	}
	if st, _, body := next.do("POST", holds, hold); st != http.StatusForbidden || !strings.Contains(body, `"waiting_room"`) {
		t.Fatalf("hold without a pass while engaged: %d %s, want the waiting-room problem", st, body)
	}

	// The queue lets visitors through at the rate, from the engagement.
	line := make([]*visitor, 30)
	through := func() int {
		n := 0
		for _, v := range line {
			if !hasPass(v) {
				v.do("GET", queue, "")
			}
			if hasPass(v) {
				n++
			}
		}
		return n
	}
	for i := range line {
		line[i] = newVisitor(t, base)
	}
	first := through()
	elapsed := time.Since(burst)
	if most := int(elapsed.Seconds()*perSecond) + 2; first > most {
		t.Errorf("%d let through %v after the burst began, want at most %d at %d a second", first, elapsed, most, perSecond)
	}
	time.Sleep(1200 * time.Millisecond)
	second := through()
	if second <= first || second == len(line) {
		t.Errorf("after 1.2 s more: %d through (was %d of %d), want more, not everyone, at %d a second", second, first, len(line), perSecond)
	}
	var lucky *visitor
	for _, v := range line {
		if hasPass(v) {
			lucky = v
			break
		}
	}
	if lucky == nil {
		t.Fatal("nobody got a pass")
	}
	if st, _, _ := lucky.do("GET", page, ""); st != http.StatusOK {
		t.Errorf("event page with a pass: %d", st)
	}
	if st, _, body := lucky.do("POST", holds, hold); st != http.StatusCreated {
		t.Errorf("hold with a pass: %d %s", st, body)
	}

	// Arrivals stay low: after the TTL the room disengages.
	deadline := time.Now().Add(engagedFor + 5*time.Second)
	for {
		st, _, _ := newVisitor(t, base).do("GET", page, "")
		if st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still queueing visitors %v after the burst (room engaged for %v)", time.Since(engaged), engagedFor)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if off := time.Since(engaged); off < engagedFor-time.Second {
		t.Errorf("disengaged %v after the burst, want about %v", off, engagedFor)
	}
	if st, _, body := newVisitor(t, base).do("POST", holds, hold); st != http.StatusCreated {
		t.Errorf("hold without a pass after the room disengaged: %d %s", st, body)
	}
	if st, loc, _ := newVisitor(t, base).do("GET", queue, ""); st != http.StatusSeeOther || loc != page {
		t.Errorf("queue after the room disengaged: %d %s, want a redirect to the event", st, loc)
	}
}

// TestQueueRefreshesWhenTheTurnIsDue: the queue page asks the browser back
// when the visitor's turn is due (within ten seconds), so the front of the
// queue arrives spread as the room lets it through instead of all together
// on the next ten-second tick; further back it asks every ten seconds.
func TestQueueRefreshesWhenTheTurnIsDue(t *testing.T) {
	dsn, db, ev, _ := mustDemoEvent(t)
	getenv := testEnv(t, dsn, nil)
	// One visitor a second from now on.
	if _, err := db.SQL().Exec(`UPDATE events SET waiting_room = TRUE, waiting_room_opens_at = NOW(6), waiting_room_rate = 60 WHERE id = ?`, ev.ID); err != nil {
		t.Fatal(err)
	}
	base, _ := mustServe(t, getenv)
	var refreshes []int
	for range 15 {
		// The queue orders arrivals by the millisecond; two in one are in
		// no particular order.
		time.Sleep(2 * time.Millisecond)
		v := newVisitor(t, base)
		resp, err := v.client.Get(base + "/e/demo/gophersummit/queue")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			continue // let through already
		}
		n, err := strconv.Atoi(resp.Header.Get("Refresh"))
		if err != nil {
			t.Fatalf("Refresh %q: %v", resp.Header.Get("Refresh"), err)
		}
		refreshes = append(refreshes, n)
	}
	if len(refreshes) < 12 {
		t.Fatalf("only %d of 15 visitors queued", len(refreshes))
	}
	if refreshes[0] > 3 {
		t.Errorf("the first queued visitor is asked back in %d s, want within 3 (their turn is about a second away)", refreshes[0])
	}
	if last := refreshes[len(refreshes)-1]; last != 10 {
		t.Errorf("a visitor a dozen places back is asked back in %d s, want 10", last)
	}
	for i := 1; i < len(refreshes); i++ {
		if refreshes[i] < refreshes[i-1] {
			t.Errorf("refresh intervals %v: a later visitor is asked back sooner", refreshes)
			break
		}
	}
}
