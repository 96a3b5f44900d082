package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// testEnv returns a getenv with the local stack's addresses, a fresh
// database, and isolated Redis and cache keys; overrides win.
func testEnv(tb testing.TB, dsn string, overrides map[string]string) func(string) string {
	tb.Helper()
	env := map[string]string{
		"ADMIT_MYSQL_DSN":    dsn,
		"ADMIT_HTTP_ADDR":    "127.0.0.1:0",
		"ADMIT_REDIS_PREFIX": "test:" + admit.NewToken(6) + ":",
		"ADMIT_LOG_FORMAT":   "json",
		"ADMIT_LOG_LEVEL":    "warn",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// mustRun runs a short admit command and returns its standard output.
func mustRun(tb testing.TB, getenv func(string) string, args ...string) string {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, append([]string{"admit"}, args...), getenv, &stdout, &stderr); err != nil {
		tb.Fatalf("admit %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// mustServe starts `admit serve` through run, as main does, and returns its
// base URL and a function that stops it and returns run's error.
func mustServe(tb testing.TB, getenv func(string) string) (baseURL string, stop func() error) {
	tb.Helper()
	baseURL, _, stop = mustServeOps(tb, getenv)
	return baseURL, stop
}

// mustServeOps is mustServe that also returns the operators' URL, which is
// empty unless getenv sets ADMIT_OPS_ADDR.
func mustServeOps(tb testing.TB, getenv func(string) string) (baseURL, opsURL string, stop func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"admit", "serve"}, getenv, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), "for operators on "); ok {
			opsURL = rest
		}
		if _, rest, ok := strings.Cut(lines.Text(), "listening on "); ok {
			baseURL, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	if baseURL == "" {
		cancel()
		tb.Fatalf("admit serve did not start: %v", <-done)
	}
	go io.Copy(io.Discard, pr)
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	tb.Cleanup(func() { stop() })
	return baseURL, opsURL, stop
}

func mustGet(tb testing.TB, url string) (*http.Response, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(body)
}

var csrfToken = regexp.MustCompile(`name="_csrf" value="[^"]*"`)

func TestServeDemoEventPage(t *testing.T) {
	getenv := testEnv(t, mysqltest.MustDSN(t), map[string]string{"ADMIT_OPS_ADDR": "127.0.0.1:0"})
	mustRun(t, getenv, "migrate", "up")
	out := mustRun(t, getenv, "demo")
	if !strings.Contains(out, "organizer@demo.admit.localhost") {
		t.Fatalf("demo did not print the organizer login:\n%s", out)
	}
	// The demo is idempotent: a second run only prints the login again.
	mustRun(t, getenv, "demo")
	base, ops, stop := mustServeOps(t, getenv)

	resp, body := mustGet(t, base+"/e/demo/gophersummit")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event page: status %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"Gophers Summit", "Kulturbrauerei", "Community", "Free", "€129.00", "€299.00", "On sale", "(Europe/Berlin)", "09:00"} {
		if !strings.Contains(body, want) {
			t.Errorf("event page lacks %q", want)
		}
	}
	if strings.Count(body, `class="ticket-type `) != 3 {
		t.Errorf("event page shows %d ticket types, want 3", strings.Count(body, `class="ticket-type `))
	}
	if resp.Header.Get("X-Cache") != "miss" {
		t.Errorf("first view X-Cache = %q, want miss", resp.Header.Get("X-Cache"))
	}
	resp2, body2 := mustGet(t, base+"/e/demo/gophersummit")
	if resp2.Header.Get("X-Cache") != "hit" || csrfToken.ReplaceAllString(body2, "") != csrfToken.ReplaceAllString(body, "") {
		t.Errorf("second view was not served from memcached (X-Cache %q)", resp2.Header.Get("X-Cache"))
	}
	// The cached page carries each visitor's own CSRF token, never another's.
	if t1, t2 := csrfToken.FindString(body), csrfToken.FindString(body2); t1 == "" || t1 == t2 {
		t.Errorf("CSRF tokens of two visitors: %q and %q", t1, t2)
	}

	resp, body = mustGet(t, base+"/e/demo/no-such-event")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Not found") {
		t.Errorf("unknown event: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = mustGet(t, base+"/api/checkout/v1/nothing-here")
	var problem struct{ Code, Message string }
	if resp.StatusCode != http.StatusNotFound || json.Unmarshal([]byte(body), &problem) != nil || problem.Code != "not_found" {
		t.Errorf("unknown API route: status %d, body %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("responses carry no X-Request-Id")
	}

	resp, body = mustGet(t, base+"/healthz")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d %s", resp.StatusCode, body)
	}
	resp, body = mustGet(t, base+"/readyz")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("/readyz: %d %s", resp.StatusCode, body)
	}
	_, body = mustGet(t, ops+"/metrics")
	for _, want := range []string{
		`admit_http_requests_total{method="GET",route="/e/:org/:event",status="200"} 2`,
		`admit_http_requests_total{method="GET",route="/e/:org/:event",status="404"} 1`,
		`admit_http_request_duration_seconds_bucket`,
		`go_sql_max_open_connections{db_name="admit"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("serve did not shut down cleanly: %v", err)
	}
}

// TestServeShutdownFinishesInFlight stops the server while a request is in
// its handler (MySQL answers slowly through a proxy): the request completes.
func TestServeShutdownFinishesInFlight(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	getenv := testEnv(t, dsn, nil)
	mustRun(t, getenv, "migrate", "up")
	mustRun(t, getenv, "demo")
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	slowMySQL := mustProxy(t, cfg.Addr)
	cfg.Addr = slowMySQL.addr
	base, stop := mustServe(t, testEnv(t, cfg.FormatDSN(), nil))
	slowMySQL.delay.Store(int64(400 * time.Millisecond))

	type result struct {
		status int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/e/demo/gophersummit")
		if err != nil {
			got <- result{err: err}
			return
		}
		resp.Body.Close()
		got <- result{status: resp.StatusCode}
	}()
	time.Sleep(200 * time.Millisecond) // the handler is waiting on MySQL
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	r := <-got
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("in-flight request during shutdown: status %d, err %v", r.status, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

func TestStartWithUnreachableDependency(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	for _, tt := range []struct {
		name, key, value, want string
	}{
		{"mysql", "ADMIT_MYSQL_DSN", "admit:admit@tcp(127.0.0.1:1)/admit", "mysql is unreachable at 127.0.0.1:1/admit"},
		{"redis", "ADMIT_REDIS_ADDR", "127.0.0.1:1", "redis is unreachable at 127.0.0.1:1"},
		{"memcached", "ADMIT_MEMCACHED", "127.0.0.1:1", "memcached is unreachable at 127.0.0.1:1"},
		{"bad dsn", "ADMIT_MYSQL_DSN", "not a dsn", "ADMIT_MYSQL_DSN: invalid MySQL DSN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			getenv := testEnv(t, dsn, map[string]string{tt.key: tt.value})
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"admit", "serve"}, getenv, &stdout, &stderr)
			if err == nil {
				t.Fatal("serve started without its dependency")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line containing %q", msg, tt.want)
			}
			if tt.name != "bad dsn" && !strings.Contains(msg, "scripts/stack up") {
				t.Errorf("error %q does not say how to start the component", msg)
			}
		})
	}
}

func TestServeRefusesUnmigratedDatabase(t *testing.T) {
	ctx := context.Background()
	dsn, drop, err := mysqltest.CreateEmpty(ctx, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	err = run(ctx, []string{"admit", "serve"}, testEnv(t, dsn, nil), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "admit migrate up") {
		t.Fatalf("serve on an empty database: %v, want a hint to migrate", err)
	}
}

func TestHelpDocumentsEveryCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"admit", "help"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(out.String(), c.name) {
			t.Errorf("admit help does not mention %q", c.name)
		}
	}
	out.Reset()
	err := run(context.Background(), []string{"admit", "serve", "-h"}, func(string) string { return "" }, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "ADMIT_MYSQL_DSN") || !strings.Contains(out.String(), "-http-addr") {
		t.Errorf("admit serve -h: err %v, output:\n%s", err, out.String())
	}
	err = run(context.Background(), []string{"admit", "frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
}
