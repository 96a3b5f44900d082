package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// secureStack is `admit serve` on a fresh database holding the demo, as
// an attacker on the internet would meet it: behind a trusted proxy, so
// each request's address is the X-Forwarded-For the test sets, with the
// automatic waiting room off (the tests send bursts on purpose).
type secureStack struct {
	base     string
	db       *mysql.DB
	password string // the demo organizer's
	org      *admit.Organization
	event    *admit.Event
	types    map[string]*admit.TicketType
	logs     *lockedBuffer
}

var demoLogin = regexp.MustCompile(`organizer +\S+ / (\S+)`)

func mustSecureStack(tb testing.TB, overrides map[string]string) *secureStack {
	tb.Helper()
	ctx := context.Background()
	dsn := mysqltest.MustDSN(tb)
	env := map[string]string{"ADMIT_TRUST_PROXY": "true", "ADMIT_WAITING_ROOM_AUTO_RATE": "0", "ADMIT_LOG_LEVEL": "info"}
	for k, v := range overrides {
		env[k] = v
	}
	getenv := testEnv(tb, dsn, env)
	m := demoLogin.FindStringSubmatch(mustRun(tb, getenv, "demo"))
	if m == nil {
		tb.Fatal("admit demo printed no organizer password")
	}
	s := &secureStack{password: m[1], types: map[string]*admit.TicketType{}, logs: &lockedBuffer{}}
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
	types, err := s.db.ListTicketTypes(ctx, s.org.ID, s.event.ID, true)
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range types {
		s.types[t.Name] = t
	}
	s.base = mustServeLogging(tb, getenv, s.logs)
	return s
}

// mustServeLogging is mustServe keeping serve's log lines in logs.
func mustServeLogging(tb testing.TB, getenv func(string) string, logs io.Writer) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"admit", "serve"}, getenv, pw, logs)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	var base string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), "listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	if base == "" {
		cancel()
		tb.Fatalf("admit serve did not start: %v", <-done)
	}
	go io.Copy(io.Discard, pr)
	tb.Cleanup(func() { cancel(); <-done })
	return base
}

// lockedBuffer is a log sink that tests read while the server writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mustMember adds a member with role and password to the demo organization.
func (s *secureStack) mustMember(tb testing.TB, email string, role admit.Role, password string) *admit.User {
	tb.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	u := &admit.User{Email: email, Name: email, PasswordHash: string(hash)}
	ctx := context.Background()
	if err := s.db.CreateUser(ctx, u); err != nil {
		tb.Fatal(err)
	}
	if err := s.db.AddMembership(ctx, admit.Membership{OrganizationID: s.org.ID, UserID: u.ID, Role: role}); err != nil {
		tb.Fatal(err)
	}
	return u
}

func (s *secureStack) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// lastOutboxPath returns the link path of the newest side effect of kind,
// as the email carrying it would show it.
func (s *secureStack) lastOutboxPath(tb testing.TB, kind string) string {
	tb.Helper()
	var payload []byte
	if err := s.db.SQL().QueryRow(`SELECT payload FROM outbox WHERE kind = ? ORDER BY id DESC LIMIT 1`, kind).Scan(&payload); err != nil {
		tb.Fatalf("no %s in the outbox: %v", kind, err)
	}
	var p struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.Path == "" {
		tb.Fatalf("%s payload %s has no path", kind, payload)
	}
	return p.Path
}

// agent is one client of the stack: its own cookies, the address it comes
// from, and the CSRF token of the last page it saw.
type agent struct {
	tb     testing.TB
	base   string
	addr   string
	client *http.Client
	csrf   string
}

func (s *secureStack) agent(tb testing.TB, addr string) *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{tb: tb, base: s.base, addr: addr, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var formCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// do sends a request and returns the status, headers and body; a redirect's
// body is its Location.
func (a *agent) do(method, path, contentType, body string, header map[string]string) (int, http.Header, string) {
	a.tb.Helper()
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		a.tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.addr != "" {
		req.Header.Set("X-Forwarded-For", a.addr)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := formCSRF.FindSubmatch(b); m != nil {
		a.csrf = string(m[1])
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, resp.Header, loc
	}
	return resp.StatusCode, resp.Header, string(b)
}

func (a *agent) get(path string) (int, string) {
	a.tb.Helper()
	st, _, body := a.do("GET", path, "", "", nil)
	return st, body
}

// post submits a form with the CSRF token of the last page seen.
func (a *agent) post(path string, form url.Values) (int, string) {
	a.tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", a.csrf)
	st, _, body := a.do("POST", path, "application/x-www-form-urlencoded", form.Encode(), nil)
	return st, body
}

// api sends a JSON request with the bearer token (none if empty).
func (a *agent) api(method, path, token, body string) (int, string) {
	a.tb.Helper()
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	st, _, b := a.do(method, path, ct, body, h)
	return st, b
}

func (a *agent) mustLogin(email, password string) {
	a.tb.Helper()
	a.get("/console/login")
	if st, body := a.post("/console/login", url.Values{"email": {email}, "password": {password}}); st != http.StatusSeeOther {
		a.tb.Fatalf("login as %s from %s: %d %.300s", email, a.addr, st, body)
	}
}

var tokenSecret = regexp.MustCompile(`id="secret" value="(adm_[^"]+)"`)

// mustToken creates an API token with every scope in the console, as the
// signed-in member, and returns its secret.
func (a *agent) mustToken(name string) string {
	a.tb.Helper()
	a.get("/console/demo/tokens")
	st, body := a.post("/console/demo/tokens", url.Values{"name": {name}, "scopes": {"read", "write", "checkin"}})
	m := tokenSecret.FindStringSubmatch(body)
	if st != http.StatusCreated || m == nil {
		a.tb.Fatalf("creating token %s: %d %.300s", name, st, body)
	}
	return m[1]
}
