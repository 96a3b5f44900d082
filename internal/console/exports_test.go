package console_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/console"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/s3/s3test"
	"github.com/admithq/admit/internal/server"
)

// opsRedisDB is the Redis database of the exports and operations tests:
// sessions under a prefix of their own, and queues of their own names.
const opsRedisDB = 8

var opsRedis = asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: opsRedisDB}

// opsFixture is the console with the queue inspector and the export files,
// two tenants, and the worker's exporter writing where the console reads.
type opsFixture struct {
	*fixture
	inspector *asynq.Inspector
	exporter  *jobs.Exporter
}

// mustOpsFixture starts the console; its queue inspector reads Redis at
// queues if given (an unreachable address, say), and the test database
// otherwise.
func mustOpsFixture(tb testing.TB, queues ...asynq.RedisConnOpt) *opsFixture {
	tb.Helper()
	f := &opsFixture{fixture: &fixture{db: mysqltest.MustOpen(tb)}}
	rdb := redis.NewClient(redis.Options{Addr: opsRedis.Addr, DB: opsRedisDB})
	tb.Cleanup(func() { rdb.Close() })
	queueOpt := asynq.RedisConnOpt(opsRedis)
	if len(queues) > 0 {
		queueOpt = queues[0]
	}
	f.inspector = asynq.NewInspector(queueOpt)
	tb.Cleanup(func() { f.inspector.Close() })
	prefix := "test:" + admit.NewToken(6) + ":"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	co := checkout.New(checkout.Options{Ledger: f.db, Gate: redis.NewInventory(rdb, prefix),
		Providers: []payment.Provider{&payment.Offline{}}, BaseURL: "http://admit.test", Logger: logger})
	st, s3prefix := s3test.MustStore(tb)
	files := &jobs.S3Storage{Store: st, Prefix: s3prefix + jobs.ExportPrefix}
	f.exporter = &jobs.Exporter{Store: f.db, Storage: files, Logger: logger, TempDir: tb.TempDir()}
	srv := server.New(server.Options{Logger: logger, Registry: prometheus.NewRegistry()})
	desk, err := console.New(console.Options{Store: f.db, Sessions: redis.NewSessions(rdb, prefix, time.Hour),
		Limiter: redis.NewLimiter(rdb, prefix), Checkout: co, Logger: logger, Inspector: f.inspector, ExportFiles: files})
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

// exports returns the organization's exports, newest first.
func (f *opsFixture) exports(tb testing.TB, org *admit.Organization) []*admit.Export {
	tb.Helper()
	list, err := f.db.ListExports(context.Background(), org.ID, 100)
	if err != nil {
		tb.Fatal(err)
	}
	return list
}

// mustBuild does what the worker does for the organization's export.
func (f *opsFixture) mustBuild(tb testing.TB, org *admit.Organization, id int64) {
	tb.Helper()
	if _, err := f.exporter.Build(context.Background(), org.ID, id); err != nil {
		tb.Fatal(err)
	}
}

func (f *opsFixture) audited(tb testing.TB, org *admit.Organization, action string) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE organization_id = ? AND action = ?`, org.ID, action).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// download fetches path and returns the status, the headers and the body.
func (b *browser) download(path string) (int, http.Header, []byte) {
	b.tb.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// TestExportsRequestAndDownload: an owner requests an export from the
// console; it is recorded with its outbox row, the page refreshes while it
// is being prepared, and once built it downloads as an attachment holding
// the event's orders. A repeated request while it is queued is one export.
func TestExportsRequestAndDownload(t *testing.T) {
	f := mustOpsFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	st, body := b.get("/console/alpha/exports")
	if st != http.StatusOK || !strings.Contains(body, "alpha conf") || strings.Contains(body, `http-equiv="refresh"`) {
		t.Fatalf("exports page: %d, refresh %v", st, strings.Contains(body, `http-equiv="refresh"`))
	}
	form := url.Values{"event": {fmt.Sprint(f.a.event.ID)}, "kind": {"orders"}, "format": {"csv"}}
	if st, loc := b.post("/console/alpha/exports", form); st != http.StatusSeeOther || loc != "/console/alpha/exports" {
		t.Fatalf("requesting an export: %d %s", st, loc)
	}
	b.get("/console/alpha/exports")
	if st, _ := b.post("/console/alpha/exports", form); st != http.StatusSeeOther {
		t.Fatalf("requesting it again: %d", st)
	}
	list := f.exports(t, f.a.org)
	if len(list) != 1 || list[0].Status != admit.ExportQueued || list[0].Kind != "orders" || list[0].Format != "csv" || list[0].EventID != f.a.event.ID {
		t.Fatalf("exports after two identical requests: %+v", list)
	}
	ex := list[0]
	var outboxRows int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE organization_id = ? AND kind = 'export.build' AND payload = ?`,
		f.a.org.ID, fmt.Sprintf(`{"export_id":%d}`, ex.ID)).Scan(&outboxRows)
	if outboxRows != 1 {
		t.Errorf("%d export.build outbox rows, want 1", outboxRows)
	}
	if n := f.audited(t, f.a.org, "export.requested"); n != 1 {
		t.Errorf("%d export.requested audit entries, want 1", n)
	}
	st, body = b.get("/console/alpha/exports")
	if st != http.StatusOK || !strings.Contains(body, `<meta http-equiv="refresh" content="3">`) || !strings.Contains(body, "queued") {
		t.Errorf("page while queued: %d, refreshes %v", st, strings.Contains(body, `http-equiv="refresh"`))
	}
	download := fmt.Sprintf("/console/alpha/exports/%d/download", ex.ID)
	if st, _, _ := b.download(download); st != http.StatusConflict {
		t.Errorf("downloading a queued export: %d, want 409", st)
	}

	f.mustBuild(t, f.a.org, ex.ID)
	st, body = b.get("/console/alpha/exports")
	if st != http.StatusOK || strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, `href="`+download+`"`) {
		t.Errorf("page once done: %d, refreshes %v, links the download %v", st,
			strings.Contains(body, `http-equiv="refresh"`), strings.Contains(body, download))
	}
	st, header, data := b.download(download)
	if st != http.StatusOK {
		t.Fatalf("download: %d", st)
	}
	wantName := fmt.Sprintf(`attachment; filename=conf-orders-%s.csv`, ex.CreatedAt.UTC().Format("2006-01-02"))
	if got := header.Get("Content-Disposition"); got != wantName {
		t.Errorf("Content-Disposition %q, want %q", got, wantName)
	}
	if got := header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	order, err := f.db.FindOrder(context.Background(), f.a.org.ID, f.a.orderID)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || records[1][0] != order.Reference || records[1][2] != "Buyer" {
		t.Errorf("downloaded rows %q, want alpha's one order %s", records, order.Reference)
	}
	if n := f.audited(t, f.a.org, "export.downloaded"); n != 1 {
		t.Errorf("%d export.downloaded audit entries, want 1", n)
	}

	// An event of another organization cannot be exported.
	bad := url.Values{"event": {fmt.Sprint(f.b.event.ID)}, "kind": {"attendees"}, "format": {"xlsx"}}
	if st, body := b.post("/console/alpha/exports", bad); st != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose one of your events.") {
		t.Errorf("exporting beta's event as alpha: %d", st)
	}
	for _, form := range []url.Values{
		{"event": {fmt.Sprint(f.a.event.ID)}, "kind": {"passwords"}, "format": {"csv"}},
		{"event": {fmt.Sprint(f.a.event.ID)}, "kind": {"orders"}, "format": {"pdf"}},
	} {
		if st, _ := b.post("/console/alpha/exports", form); st != http.StatusUnprocessableEntity {
			t.Errorf("request %v: %d, want 422", form, st)
		}
	}
	if n := len(f.exports(t, f.a.org)) + len(f.exports(t, f.b.org)); n != 1 {
		t.Errorf("%d exports after refused requests, want 1", n)
	}
}

// TestExportsCSRF: a request without a valid token records nothing.
func TestExportsCSRF(t *testing.T) {
	f := mustOpsFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	form := url.Values{"event": {fmt.Sprint(f.a.event.ID)}, "kind": {"orders"}, "format": {"csv"}}
	for _, token := range []string{"", "forged-token"} {
		form.Set("_csrf", token)
		if st, _ := b.post("/console/alpha/exports", form); st != http.StatusForbidden {
			t.Errorf("request with token %q: %d, want 403", token, st)
		}
	}
	if n := len(f.exports(t, f.a.org)); n != 0 {
		t.Fatalf("%d exports after forged requests", n)
	}
	b.get("/console/alpha/exports")
	form.Del("_csrf")
	if st, _ := b.post("/console/alpha/exports", form); st != http.StatusSeeOther {
		t.Fatalf("request with the page's token: %d", st)
	}
	if n := len(f.exports(t, f.a.org)); n != 1 {
		t.Errorf("%d exports after a genuine request, want 1", n)
	}
}

// TestExportsTenantIsolation: another organization's export is not found,
// through either organization's URLs, and is not listed.
func TestExportsTenantIsolation(t *testing.T) {
	f := mustOpsFixture(t)
	ex := &admit.Export{OrganizationID: f.a.org.ID, EventID: f.a.event.ID, Kind: "attendees", Format: "xlsx", RequestedBy: f.a.owner.ID}
	if _, err := f.db.CreateExport(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	f.mustBuild(t, f.a.org, ex.ID)
	b := f.newBrowser(t)
	b.mustLogin(f.b.owner.Email)
	for _, path := range []string{
		"/console/alpha/exports",
		fmt.Sprintf("/console/alpha/exports/%d/download", ex.ID),
		fmt.Sprintf("/console/beta/exports/%d/download", ex.ID),
		"/console/alpha/ops",
	} {
		if st, _, body := b.download(path); st != http.StatusNotFound || bytes.Contains(body, []byte("alpha conf")) {
			t.Errorf("GET %s as beta's owner: %d, want 404", path, st)
		}
	}
	if st, body := b.get("/console/beta/exports"); st != http.StatusOK || strings.Contains(body, "alpha conf") || strings.Contains(body, "/download") {
		t.Errorf("beta's exports page: %d, shows alpha's export %v", st, strings.Contains(body, "alpha conf"))
	}
	b.get("/console/beta")
	form := url.Values{"event": {fmt.Sprint(f.a.event.ID)}, "kind": {"orders"}, "format": {"csv"}}
	if st, _ := b.post("/console/alpha/exports", form); st != http.StatusNotFound {
		t.Errorf("POST to alpha's exports as beta: %d, want 404", st)
	}
	if st, _ := b.post("/console/beta/exports", form); st != http.StatusUnprocessableEntity {
		t.Errorf("POST of alpha's event to beta's exports: %d, want 422", st)
	}
	if n := len(f.exports(t, f.a.org)) + len(f.exports(t, f.b.org)); n != 1 {
		t.Errorf("%d exports, want alpha's one", n)
	}
	// Alpha's owner downloads it.
	a := f.newBrowser(t)
	a.mustLogin(f.a.owner.Email)
	if st, header, _ := a.download(fmt.Sprintf("/console/alpha/exports/%d/download", ex.ID)); st != http.StatusOK ||
		header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("alpha's own download: %d %s", st, header.Get("Content-Type"))
	}
}

// TestExportsRoles: check-in staff get 403 on the exports and operations
// pages and actions.
func TestExportsRoles(t *testing.T) {
	f := mustOpsFixture(t)
	ex := &admit.Export{OrganizationID: f.a.org.ID, EventID: f.a.event.ID, Kind: "orders", Format: "csv"}
	if _, err := f.db.CreateExport(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	f.mustBuild(t, f.a.org, ex.ID)
	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	b := f.newBrowser(t)
	b.mustLogin(staff.Email)
	if st, body := b.get("/console/alpha"); st != http.StatusOK || strings.Contains(body, "/exports") || strings.Contains(body, "/ops") {
		t.Errorf("check-in staff's events page: %d, links exports %v", st, strings.Contains(body, "/exports"))
	}
	for _, path := range []string{"/console/alpha/exports", fmt.Sprintf("/console/alpha/exports/%d/download", ex.ID), "/console/alpha/ops"} {
		if st, _, _ := b.download(path); st != http.StatusForbidden {
			t.Errorf("check-in staff GET %s: %d, want 403", path, st)
		}
	}
	for _, path := range []string{"/console/alpha/exports", "/console/alpha/ops/retry"} {
		if st, _ := b.post(path, url.Values{"event": {fmt.Sprint(f.a.event.ID)}, "kind": {"orders"}, "format": {"csv"}}); st != http.StatusForbidden {
			t.Errorf("check-in staff POST %s: %d, want 403", path, st)
		}
	}
	if n := len(f.exports(t, f.a.org)); n != 1 {
		t.Errorf("%d exports after check-in staff's request, want 1", n)
	}
	admin := f.mustUser(t, f.a.org, "admin@example.com", admit.RoleAdmin)
	b = f.newBrowser(t)
	b.mustLogin(admin.Email)
	for _, path := range []string{"/console/alpha/exports", fmt.Sprintf("/console/alpha/exports/%d/download", ex.ID), "/console/alpha/ops"} {
		if st, _, _ := b.download(path); st != http.StatusOK {
			t.Errorf("admin GET %s: %d, want 200", path, st)
		}
	}
}

// TestExportsExpiry: a download link works for 7 days and is gone (410)
// after; the page says so instead of linking it.
func TestExportsExpiry(t *testing.T) {
	f := mustOpsFixture(t)
	ex := &admit.Export{OrganizationID: f.a.org.ID, EventID: f.a.event.ID, Kind: "orders", Format: "csv"}
	if _, err := f.db.CreateExport(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	f.mustBuild(t, f.a.org, ex.ID)
	var days float64
	f.db.SQL().QueryRow(`SELECT TIMESTAMPDIFF(SECOND, finished_at, expires_at) / 86400 FROM exports WHERE id = ?`, ex.ID).Scan(&days)
	if days != 7 {
		t.Errorf("the link lasts %v days, want 7", days)
	}
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	path := fmt.Sprintf("/console/alpha/exports/%d/download", ex.ID)
	if st, _, _ := b.download(path); st != http.StatusOK {
		t.Fatalf("fresh link: %d", st)
	}
	if _, err := f.db.SQL().Exec(`UPDATE exports SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE id = ?`, ex.ID); err != nil {
		t.Fatal(err)
	}
	if st, _, body := b.download(path); st != http.StatusGone || !bytes.Contains(body, []byte("expired")) {
		t.Errorf("expired link: %d, want 410", st)
	}
	if _, body := b.get("/console/alpha/exports"); strings.Contains(body, path) || !strings.Contains(body, "expired") {
		t.Error("the page links an expired export")
	}
}
