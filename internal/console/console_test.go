package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/console"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
)

const password = "correct horse battery"

type tenant struct {
	org     *admit.Organization
	owner   *admit.User
	event   *admit.Event
	orderID int64
}

type fixture struct {
	url  string
	db   *mysql.DB
	gate *redis.Inventory
	a    tenant
	b    tenant
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	return mustFixtureOn(tb, 4)
}

// mustFixtureOn builds the fixture with its keys in Redis database redisDB,
// so test files that flush or count keys do not disturb each other.
func mustFixtureOn(tb testing.TB, redisDB int) *fixture {
	tb.Helper()
	return mustFixtureWith(tb, redisDB, console.Options{})
}

// mustFixtureWith is mustFixtureOn with the console's options besides its
// dependencies (operators, say) taken from extra.
func mustFixtureWith(tb testing.TB, redisDB int, extra console.Options) *fixture {
	tb.Helper()
	f := &fixture{db: mysqltest.MustOpen(tb)}
	rdb := redis.NewClient(redis.Options{Addr: "127.0.0.1:16379", DB: redisDB})
	tb.Cleanup(func() { rdb.Close() })
	prefix := "test:" + admit.NewToken(6) + ":"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.gate = redis.NewInventory(rdb, prefix)
	co := checkout.New(checkout.Options{Ledger: f.db, Gate: f.gate,
		Providers: []payment.Provider{&payment.Offline{}}, BaseURL: "http://admit.test", Logger: logger})
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry()})
	opts := extra
	opts.Store, opts.Sessions, opts.Limiter, opts.Checkout, opts.Logger = f.db, redis.NewSessions(rdb, prefix, time.Hour), redis.NewLimiter(rdb, prefix), co, logger
	desk, err := console.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	desk.Register(srv.Echo())
	ts := httptest.NewServer(srv.Echo())
	tb.Cleanup(ts.Close)
	f.url = ts.URL
	f.a = f.mustTenant(tb, co, "alpha")
	f.b = f.mustTenant(tb, co, "beta")
	return f
}

// mustTenant creates an organization with an owner, an event and one
// pending offline order.
func (f *fixture) mustTenant(tb testing.TB, co *checkout.Checkout, slug string) tenant {
	tb.Helper()
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	seed := mysqltest.MustSeed(tb, f.db, mysqltest.SeedSpec{
		Org:   admit.Organization{Slug: slug, Name: strings.ToUpper(slug)},
		Owner: &admit.User{Email: slug + "@example.com", Name: slug, PasswordHash: string(hash)},
		Event: admit.Event{Slug: "conf", Name: slug + " conf", TimeZone: "UTC", StartsAt: time.Now().Add(24 * time.Hour * 30)},
		Types: []admit.TicketType{{Name: "GA", Price: 1000, Quantity: 10, MaxPerOrder: 5}},
	})
	t := tenant{org: seed.Org, owner: seed.Owner, event: seed.Event}
	tt := seed.Types[0]
	h, err := co.Hold(ctx, t.event, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 1}}, checkout.Client{})
	if err != nil {
		tb.Fatal(err)
	}
	placed, err := co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: "buyer@example.com", PaymentMethod: admit.PaymentOffline})
	if err != nil {
		tb.Fatal(err)
	}
	t.orderID = placed.Order.ID
	return t
}

func (f *fixture) mustUser(tb testing.TB, org *admit.Organization, email string, role admit.Role) *admit.User {
	tb.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	u := &admit.User{Email: email, Name: email, PasswordHash: string(hash)}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		tb.Fatal(err)
	}
	if err := f.db.AddMembership(context.Background(), admit.Membership{OrganizationID: org.ID, UserID: u.ID, Role: role}); err != nil {
		tb.Fatal(err)
	}
	return u
}

// browser is a client with cookies that fills in forms' CSRF tokens.
type browser struct {
	tb     testing.TB
	base   string
	client *http.Client
	csrf   string
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (f *fixture) newBrowser(tb testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{tb: tb, base: f.url, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (int, string) {
	b.tb.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, loc
	}
	return resp.StatusCode, string(body)
}

// post submits a form with the CSRF token of the last page seen, unless
// the form sets _csrf itself.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf)
	}
	resp, err := b.client.PostForm(b.base+path, form)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, loc
	}
	return resp.StatusCode, string(body)
}

func (b *browser) mustLogin(email string) {
	b.tb.Helper()
	b.get("/console/login")
	if st, loc := b.post("/console/login", url.Values{"email": {email}, "password": {password}}); st != http.StatusSeeOther {
		b.tb.Fatalf("login as %s: %d %s", email, st, loc)
	}
}

func (f *fixture) orderStatus(tb testing.TB, id int64) string {
	tb.Helper()
	var s string
	if err := f.db.SQL().QueryRow(`SELECT status FROM orders WHERE id = ?`, id).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestTenantIsolation: a member of one organization gets 404 for every
// console route naming another organization's objects, through either
// organization's URLs, and changes nothing.
func TestTenantIsolation(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.b.owner.Email)
	a := f.a
	for _, path := range []string{
		"/console/alpha",
		"/console/alpha/orders",
		"/console/alpha/audit",
		fmt.Sprintf("/console/alpha/events/%d", a.event.ID),
		fmt.Sprintf("/console/alpha/orders/%d", a.orderID),
		fmt.Sprintf("/console/beta/events/%d", a.event.ID),
		fmt.Sprintf("/console/beta/orders/%d", a.orderID),
	} {
		if st, body := b.get(path); st != http.StatusNotFound || strings.Contains(body, "alpha conf") {
			t.Errorf("GET %s as a member of beta: %d", path, st)
		}
	}
	b.get("/console/beta")
	for _, path := range []string{
		fmt.Sprintf("/console/alpha/orders/%d/mark-paid", a.orderID),
		fmt.Sprintf("/console/beta/orders/%d/mark-paid", a.orderID),
		fmt.Sprintf("/console/beta/orders/%d/cancel", a.orderID),
	} {
		if st, _ := b.post(path, nil); st != http.StatusNotFound {
			t.Errorf("POST %s as a member of beta: %d, want 404", path, st)
		}
	}
	if st := f.orderStatus(t, a.orderID); st != "pending" {
		t.Errorf("alpha's order is %s after beta's attempts", st)
	}
	// Beta's own pages work.
	if st, body := b.get(fmt.Sprintf("/console/beta/orders/%d", f.b.orderID)); st != 200 || !strings.Contains(body, "Buyer") {
		t.Errorf("own order: %d", st)
	}
}

// TestRoles: check-in staff reach the events list but get 403 on admin
// pages and actions; a removed member is refused on the next request.
func TestRoles(t *testing.T) {
	f := mustFixture(t)
	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	b := f.newBrowser(t)
	b.mustLogin(staff.Email)
	if st, _ := b.get("/console/alpha"); st != 200 {
		t.Fatalf("check-in staff on the events list: %d", st)
	}
	for _, path := range []string{"/console/alpha/orders", "/console/alpha/audit",
		fmt.Sprintf("/console/alpha/events/%d", f.a.event.ID), fmt.Sprintf("/console/alpha/orders/%d", f.a.orderID)} {
		if st, _ := b.get(path); st != http.StatusForbidden {
			t.Errorf("check-in staff GET %s: %d, want 403", path, st)
		}
	}
	if st, _ := b.post(fmt.Sprintf("/console/alpha/orders/%d/mark-paid", f.a.orderID), nil); st != http.StatusForbidden {
		t.Errorf("check-in staff marking paid: %d, want 403", st)
	}
	if f.orderStatus(t, f.a.orderID) != "pending" {
		t.Error("check-in staff changed an order")
	}
	if err := f.db.RemoveMembership(context.Background(), f.a.org.ID, staff.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.get("/console/alpha"); st != http.StatusNotFound {
		t.Errorf("removed member: %d, want 404", st)
	}
}

// TestCSRF: a form posted without a valid token changes nothing.
func TestCSRF(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	path := fmt.Sprintf("/console/alpha/orders/%d/mark-paid", f.a.orderID)
	for _, token := range []string{"", "forged-token"} {
		if st, _ := b.post(path, url.Values{"_csrf": {token}}); st != http.StatusForbidden {
			t.Errorf("mark paid with token %q: %d, want 403", token, st)
		}
	}
	if st := f.orderStatus(t, f.a.orderID); st != "pending" {
		t.Fatalf("order is %s after forged posts", st)
	}
	b.get(fmt.Sprintf("/console/alpha/orders/%d", f.a.orderID))
	if st, _ := b.post(path, nil); st != http.StatusSeeOther {
		t.Fatalf("mark paid with the page's token: %d", st)
	}
	if st := f.orderStatus(t, f.a.orderID); st != "paid" {
		t.Errorf("order is %s, want paid", st)
	}
	if _, body := b.get("/console/alpha/audit"); !strings.Contains(body, "order.marked_paid") {
		t.Error("marking paid is not in the audit log")
	}
}

// TestSessions: a wrong password is refused, login gives a new session id,
// logout really ends the session, and repeated failures are rate-limited.
func TestSessions(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.get("/console/login")
	if st, body := b.post("/console/login", url.Values{"email": {f.a.owner.Email}, "password": {"wrong password!"}}); st != http.StatusUnauthorized || !strings.Contains(body, "wrong") {
		t.Errorf("wrong password: %d", st)
	}
	b.mustLogin(f.a.owner.Email)
	u, _ := url.Parse(f.url + "/console")
	session := ""
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "admit_session" {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie after login")
	}
	b.mustLogin(f.a.owner.Email)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "admit_session" && c.Value == session {
			t.Error("a second login kept the same session id")
		}
	}
	if st, _ := b.get("/console/alpha"); st != 200 {
		t.Fatalf("logged in: %d", st)
	}
	stolen := f.newBrowser(t)
	stolen.client.Jar.SetCookies(u, b.client.Jar.Cookies(u))
	b.post("/console/logout", nil)
	if st, loc := stolen.get("/console/alpha"); st != http.StatusSeeOther || !strings.Contains(loc, "/console/login") {
		t.Errorf("a copy of the session cookie after logout: %d, want a redirect to login", st)
	}
	limited := false
	for range 12 {
		st, _ := b.post("/console/login", url.Values{"email": {f.b.owner.Email}, "password": {"guess guess guess"}})
		if st == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("12 wrong passwords for one account were not rate-limited")
	}
}

// TestSignupBadInput: every problem is shown next to its field, input is
// kept and escaped, and nothing is created.
func TestSignupBadInput(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.get("/console/signup")
	for _, tt := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"empty", url.Values{}, []string{"Name your organization.", "Your name is required.", "Enter an email address", "at least 10 characters"}},
		{"overlong", url.Values{"org_name": {strings.Repeat("x", 201)}, "name": {"A"}, "email": {"a@example.com"}, "password": {"0123456789"}}, []string{"At most 200 characters."}},
		{"script", url.Values{"org_name": {`<script>alert(1)</script>`}, "org_slug": {"bad slug!"}, "name": {"A"}, "email": {"a@example.com"}, "password": {"0123456789"}},
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;", "lower-case letters"}},
		{"reserved address", url.Values{"org_name": {"Password"}, "org_slug": {"password"}, "name": {"A"}, "email": {"p@example.com"}, "password": {"0123456789"}}, []string{"This address is reserved"}},
		{"taken address", url.Values{"org_name": {"Alpha"}, "org_slug": {"alpha"}, "name": {"A"}, "email": {"new@example.com"}, "password": {"0123456789"}}, []string{"This address is taken"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.post("/console/signup", tt.form)
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", st)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, "<script>alert(1)") {
				t.Error("markup from the form is rendered unescaped")
			}
		})
	}
	var orgs int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM organizations`).Scan(&orgs)
	if orgs != 2 {
		t.Errorf("%d organizations after rejected sign-ups, want 2", orgs)
	}
	st, body := b.post("/console/signup", url.Values{"org_name": {"Gamma Events"}, "name": {"G"}, "email": {"g@example.com"}, "password": {"0123456789ab"}})
	if st != http.StatusOK || !strings.Contains(body, "We have sent an email to <strong>g@example.com</strong>") {
		t.Fatalf("valid sign-up: %d %.300s", st, body)
	}
	link := f.lastPath(t, "email.signup_confirm")
	b.get(link)
	if st, loc := b.post(link, nil); st != http.StatusSeeOther || loc != "/console/gamma-events" {
		t.Fatalf("following the emailed link: %d %s", st, loc)
	}
	if st, body := b.get("/console/gamma-events"); st != 200 || !strings.Contains(body, "Welcome to Admit") {
		t.Errorf("new organization's home: %d", st)
	}
}
