package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// exposition is a /metrics page as admit serves it.
func exposition(selects, inserts, begun int64, start string) string {
	return fmt.Sprintf(`# HELP admit_mysql_statements_total Statements this process sent to MySQL.
# TYPE admit_mysql_statements_total counter
admit_mysql_statements_total{kind="begin"} %d
admit_mysql_statements_total{kind="insert"} %d
admit_mysql_statements_total{kind="select"} %d
admit_mysql_statements_total{kind="other"} 4
# TYPE admit_mysql_transactions_total counter
admit_mysql_transactions_total{outcome="begun"} %d
admit_mysql_transactions_total{outcome="committed"} %d
admit_mysql_connections_opened_total 12
admit_http_requests_total{method="GET",route="/metrics",status="200"} 3
process_start_time_seconds %s
`, begun, inserts, selects, begun, begun, start)
}

// TestParseCounts reads admit's counters from the Prometheus text format.
func TestParseCounts(t *testing.T) {
	c, start, err := parseCounts(strings.NewReader(exposition(1.5e6, 20, 7, "1.76489952012e+09")))
	if err != nil {
		t.Fatal(err)
	}
	want := mysql.Counts{Statements: map[string]int64{"begin": 7, "insert": 20, "select": 1500000, "other": 4},
		Transactions: map[string]int64{"begun": 7, "committed": 7}, Connections: 12}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if start != 1.76489952012e+09 {
		t.Errorf("start %v", start)
	}
	if _, _, err := parseCounts(strings.NewReader("go_goroutines 12\n")); err == nil || !strings.Contains(err.Error(), "admit_mysql_statements_total") {
		t.Errorf("a page without the counters: %v, want an error naming them", err)
	}
	if _, _, err := parseCounts(strings.NewReader(`admit_mysql_statements_total{kind="select"} many` + "\n")); err == nil {
		t.Error("a malformed value was accepted")
	}
}

func counts(statements map[string]int64, begun int64) mysql.Counts {
	return mysql.Counts{Statements: statements, Transactions: map[string]int64{mysql.TxBegun: begun}}
}

// TestMySQLCost: the server's counter deltas are split into the shares,
// other is what is left, every figure is divided by the orders, and an
// unmeasured share's statements land in other.
func TestMySQLCost(t *testing.T) {
	before := map[string]int64{"Com_select": 1000, "Com_insert": 500, "Com_insert_select": 10, "Com_update": 300, "Com_update_multi": 0,
		"Com_delete": 5, "Com_set_option": 50, "Com_begin": 80, "Com_commit": 80, "Com_rollback": 1, "Questions": 9000}
	after := map[string]int64{"Com_select": 1000 + 700, "Com_insert": 500 + 400, "Com_insert_select": 10 + 100, "Com_update": 300 + 350,
		"Com_update_multi": 0, "Com_delete": 5, "Com_set_option": 50 + 100, "Com_begin": 80 + 100, "Com_commit": 80 + 99,
		"Com_rollback": 1 + 1, "Questions": 9000 + 1900}
	shares := []share{
		{name: "app", measured: true, sources: []string{"http://a/metrics"}, counts: counts(map[string]int64{"select": 300, "insert": 300,
			"update": 200, "set": 100, "begin": 100, "commit": 99, "rollback": 1, "other": 3}, 100)},
		{name: "worker", measured: true, counts: counts(map[string]int64{"select": 350, "insert": 190, "update": 150}, 0)},
		{name: "bench", measured: true, counts: counts(map[string]int64{"select": 40, "other": 90}, 0)},
		{name: "sweeper", problems: []string{"http://s/metrics before the run: unreachable"}, counts: counts(map[string]int64{"select": 5}, 0)},
	}
	m := mysqlCost(before, after, shares, 100)

	if m.Server.StatementsTotal != 700+500+350+100+100+99+1 || m.Server.Transactions != 100 || m.Questions != 1900 || m.QuestionsPerOrder != 19 {
		t.Errorf("server: %d statements, %d transactions, %d questions (%.1f per order)", m.Server.StatementsTotal, m.Server.Transactions, m.Questions, m.QuestionsPerOrder)
	}
	app := m.Share("app")
	if app.StatementsTotal != 1100 || app.StatementsPerOrder != 11 || app.TransactionsPerOrder != 1 {
		t.Errorf("app: %d statements, %.2f per order, %.2f transactions per order; want 1100 (other kinds left out), 11, 1",
			app.StatementsTotal, app.StatementsPerOrder, app.TransactionsPerOrder)
	}
	if sw := m.Share("sweeper"); sw.Measured || sw.StatementsTotal != 0 || len(sw.Problems) != 1 {
		t.Errorf("unmeasured share: %+v", sw)
	}
	other := m.Share("other")
	wantOther := map[string]int64{"select": 700 - 300 - 350 - 40, "insert": 500 - 300 - 190, "update": 350 - 200 - 150, "delete": 0,
		"replace": 0, "set": 0, "begin": 0, "commit": 0, "rollback": 0}
	if diff := cmp.Diff(wantOther, other.Statements); diff != "" {
		t.Errorf("other (-want +got):\n%s", diff)
	}
	var sum int64
	for _, s := range m.Shares {
		sum += s.StatementsTotal
	}
	if sum != m.Server.StatementsTotal {
		t.Errorf("the shares add up to %d, the server counted %d", sum, m.Server.StatementsTotal)
	}

	// No orders: figures stay finite, so the report still encodes as JSON.
	zero := mysqlCost(before, after, shares, 0)
	if _, err := json.Marshal(zero); err != nil {
		t.Errorf("a run without orders does not encode: %v", err)
	}
	if zero.Share("app").StatementsPerOrder != 0 {
		t.Errorf("per order without orders: %v", zero.Share("app").StatementsPerOrder)
	}

	// A failover during the run (another server answers after it) or a
	// restart: the server's total and other are not measured, the shares'
	// own counters still are.
	for name, change := range map[string]func(map[string]int64){
		"failover": func(m map[string]int64) { m[serverIDKey] = 2 },
		"restart":  func(m map[string]int64) { m["Uptime"] = 3 },
	} {
		b, a := maps.Clone(before), maps.Clone(after)
		b[serverIDKey], a[serverIDKey], b["Uptime"], a["Uptime"] = 1, 1, 100, 130
		change(a)
		m := mysqlCost(b, a, shares, 100)
		if o := m.Share("other"); m.Server.Measured || o.Measured || len(o.Problems) != 1 {
			t.Errorf("%s: server measured %v, other %+v; want neither measured, and why", name, m.Server.Measured, o)
		}
		if app := m.Share("app"); !app.Measured || app.StatementsPerOrder != 11 {
			t.Errorf("%s: app share %+v; want it measured as before", name, app)
		}
	}
}

// TestRemoteShare sums several app servers and refuses a delta between two
// different processes.
func TestRemoteShare(t *testing.T) {
	a := func(url string, selects int64, start float64, err error) sourceCounts {
		return sourceCounts{url: url, counts: counts(map[string]int64{"select": selects}, 0), start: start, err: err}
	}
	s := remote("app", []sourceCounts{a("http://1/metrics", 10, 1, nil), a("http://2/metrics", 20, 2, nil)},
		[]sourceCounts{a("http://1/metrics", 15, 1, nil), a("http://2/metrics", 27, 2, nil)})
	if !s.measured || s.counts.Statements["select"] != 12 || len(s.problems) != 0 {
		t.Errorf("two app servers: measured %v, %d selects, problems %v; want 5 + 7", s.measured, s.counts.Statements["select"], s.problems)
	}
	s = remote("app", []sourceCounts{a("http://lb/metrics", 10, 1, nil)}, []sourceCounts{a("http://lb/metrics", 4, 2, nil)})
	if s.measured || len(s.problems) != 1 || !strings.Contains(s.problems[0], "different process") {
		t.Errorf("a different process after the run: measured %v, problems %v", s.measured, s.problems)
	}
	s = remote("worker", []sourceCounts{a("http://w/metrics", 0, 0, fmt.Errorf("unreachable: refused"))}, []sourceCounts{a("http://w/metrics", 0, 0, fmt.Errorf("unreachable: refused"))})
	if s.measured || len(s.problems) != 1 || !strings.Contains(s.problems[0], "unreachable") {
		t.Errorf("an unreachable worker: measured %v, problems %v", s.measured, s.problems)
	}
	if s = remote("worker", nil, nil); s.measured || len(s.problems) != 1 {
		t.Errorf("no URL: measured %v, problems %v", s.measured, s.problems)
	}
}

// TestMeterShares reads the real server's counters, an app server's
// /metrics and the bench's own pools around some statements: the app
// share is the app server's delta, the bench share what its pools sent,
// an unreachable worker is said to be so, and the shares and other add up
// to what the server counted.
func TestMeterShares(t *testing.T) {
	ctx := context.Background()
	watch := mysqltest.MustOpen(t)
	pool, err := mysql.Open(mysqltest.MustDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var mu sync.Mutex
	selects, inserts, begun := int64(100), int64(50), int64(5)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(w, exposition(selects, inserts, begun, "1.7e+09"))
	}))
	defer app.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	m := &Meter{Status: watch, Pools: []*mysql.DB{pool}, AppMetrics: []string{app.URL + "/metrics"}, WorkerMetrics: []string{gone.URL + "/metrics"}}
	before := m.Read(ctx)
	for range 3 {
		var one int
		if err := pool.SQL().QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	selects, inserts, begun = selects+8, inserts+4, begun+2
	mu.Unlock()
	after := m.Read(ctx)
	c := m.Cost(before, after, 2, false)
	if c.MySQL == nil {
		t.Fatalf("no MySQL figures: %s", c.MySQLProblem)
	}
	if a := c.MySQL.Share("app"); !a.Measured || a.Statements["select"] != 8 || a.Statements["insert"] != 4 || a.StatementsPerOrder != 7 || a.TransactionsPerOrder != 1 {
		t.Errorf("app share: %+v", a)
	}
	// The pool's 3 SELECTs and the SET its new connection sent; the SHOW
	// STATUS of the readings is not a kind the server counts as a statement.
	if b := c.MySQL.Share("bench"); !b.Measured || b.Statements["select"] != 3 || b.Statements["set"] != 1 || b.StatementsTotal != 4 {
		t.Errorf("bench share: %v, want 3 selects and 1 set", b.Statements)
	}
	if w := c.MySQL.Share("worker"); w.Measured || len(w.Problems) == 0 || !strings.Contains(w.Problems[0], "unreachable") {
		t.Errorf("worker share: measured %v, problems %v; want unreachable", w.Measured, w.Problems)
	}
	var sum int64
	for _, s := range c.MySQL.Shares {
		sum += s.StatementsTotal
	}
	if sum != c.MySQL.Server.StatementsTotal {
		t.Errorf("shares add up to %d, the server counted %d", sum, c.MySQL.Server.StatementsTotal)
	}
	if c.MySQL.Server.Statements["select"] < 3 {
		t.Errorf("the server counted %d SELECTs in the window, at least the pool's 3 ran", c.MySQL.Server.Statements["select"])
	}
	if c.WindowSeconds <= 0 || c.Orders != 2 {
		t.Errorf("window %v s, %d orders", c.WindowSeconds, c.Orders)
	}
}

// TestWaitOutbox reports the time from the mark to the last confirmation
// of the organization's later rows, waits for its other side effects too,
// and says so honestly when not all were done in time.
func TestWaitOutbox(t *testing.T) {
	ctx := context.Background()
	db := mysqltest.MustOpen(t)
	org := &admit.Organization{Slug: "mail-" + admit.NewToken(4), Name: "Mail"}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	insert := func(orgID int64, kind string, doneAfter time.Duration) int64 {
		t.Helper()
		res, err := db.SQL().ExecContext(ctx, `INSERT INTO outbox (organization_id, kind, payload, done_at)
			VALUES (?, ?, '{}', IF(? < 0, NULL, NOW(6) + INTERVAL ? MICROSECOND))`, orgID, kind, doneAfter, doneAfter.Microseconds())
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	insert(org.ID, "email.order_confirmation", -1) // before the mark: not this run's
	mark, err := MarkOutbox(ctx, db.SQL())
	if err != nil {
		t.Fatal(err)
	}
	insert(org.ID, "email.order_confirmation", 300*time.Millisecond)
	insert(org.ID, "email.order_confirmation", 1500*time.Millisecond)
	webhook := insert(org.ID, "webhook.order.paid", -1) // done later, below
	insert(org.ID+1000, "email.order_confirmation", -1) // another organization's, never sent
	go func() {
		time.Sleep(2500 * time.Millisecond)
		db.SQL().ExecContext(ctx, `UPDATE outbox SET done_at = NOW(6) WHERE id = ?`, webhook)
	}()

	start := time.Now()
	got, left := WaitOutbox(ctx, db.SQL(), org.ID, mark, 2, 10*time.Second)
	if !got.AllSent || got.Sent != 2 || got.Seconds < 1.5 || got.Seconds > 3 || got.Note != "" {
		t.Errorf("got %+v, want both sent about 1.5 s after the mark", got)
	}
	if waited := time.Since(start); left != 0 || waited < 2*time.Second {
		t.Errorf("returned after %s with %d rows left; want the webhook row done too", waited, left)
	}

	insert(org.ID, "email.order_confirmation", -1)
	got, left = WaitOutbox(ctx, db.SQL(), org.ID, mark, 3, 600*time.Millisecond)
	if got.AllSent || got.Sent != 2 || !strings.Contains(got.Note, "not all sent: 2 of 3") || left != 1 {
		t.Errorf("got %+v with %d left, want not all sent, 2 of 3, 1 left", got, left)
	}
	if got, left := WaitOutbox(ctx, db.SQL(), org.ID, mark, 3, 0); got.AllSent || !strings.Contains(got.Note, "not waited for") || left != 1 {
		t.Errorf("without waiting: %+v, %d left", got, left)
	}
}
