package bench

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/admithq/admit/internal/mysql"
)

// Targets are what the issue asks of the on-sale path, per order.
type Targets struct {
	AppStatements    float64 `json:"app_statements_per_order"`
	AppTransactions  float64 `json:"app_transactions_per_order"`
	WorkerStatements float64 `json:"worker_statements_per_order"`
}

// DefaultTargets: at most 6 statements and half a transaction per order on
// the app servers, at most 3 statements per order on the worker.
var DefaultTargets = Targets{AppStatements: 6, AppTransactions: 0.5, WorkerStatements: 3}

// comparableKinds are the statement kinds both the server's counters and
// the pools' count, in the order they are shown; serverCounters names the
// status variables of each (a statement's Com_ counter depends on its form:
// INSERT ... SELECT is Com_insert_select).
var comparableKinds = []string{"select", "insert", "update", "delete", "replace", "set", "begin", "commit", "rollback"}

var serverCounters = map[string][]string{
	"select": {"Com_select"}, "insert": {"Com_insert", "Com_insert_select"}, "update": {"Com_update", "Com_update_multi"},
	"delete": {"Com_delete", "Com_delete_multi"}, "replace": {"Com_replace", "Com_replace_select"}, "set": {"Com_set_option"},
	"begin": {"Com_begin"}, "commit": {"Com_commit"}, "rollback": {"Com_rollback"},
}

// Cost is what a run cost beyond the buyers' view: MySQL statements and
// transactions per order (whose process sent them), CPU per order of each
// process, and how long until the run's confirmation emails were sent. Its
// window runs from just before the first buyer until the run's side
// effects were all done (or the wait for them gave up).
type Cost struct {
	Orders        int        `json:"orders"`
	WindowSeconds float64    `json:"window_seconds"`
	MySQL         *MySQLCost `json:"mysql,omitempty"`
	// MySQLProblem says why the server's counters could not be read.
	MySQLProblem string       `json:"mysql_problem,omitempty"`
	CPU          []ProcessCPU `json:"cpu"`
	Emails       EmailResult  `json:"confirmation_emails"`
	// OutboxLeft is how many of the run's side effects (emails, webhooks,
	// order events) were not done when the window closed: the worker's
	// share then lacks their statements. -1: unknown.
	OutboxLeft int `json:"outbox_rows_not_done"`
}

// MySQLCost splits the server's statements between the processes that
// sent them.
type MySQLCost struct {
	// Server is everything the server ran in the window (SHOW GLOBAL
	// STATUS), whoever sent it.
	Server ShareCost `json:"server"`
	// Questions is the server's count of every statement clients sent,
	// SHOW and the like included: a cross-check of Server.
	Questions         int64   `json:"questions"`
	QuestionsPerOrder float64 `json:"questions_per_order"`
	// Shares are app (the checkout path: the app servers over HTTP, the
	// bench's own pools in-process), worker, bench (the bench's own
	// bookkeeping) and other: the server's total minus the three (other
	// servers, and any share that could not be measured).
	Shares []ShareCost `json:"shares"`
}

// ShareCost is one share of the server's statements.
type ShareCost struct {
	Name    string   `json:"name"`
	Sources []string `json:"sources,omitempty"`
	// Measured is false when no source could be read; the share's
	// statements are then in other. Problems say why, per source.
	Measured             bool             `json:"measured"`
	Problems             []string         `json:"problems,omitempty"`
	Statements           map[string]int64 `json:"statements"`
	StatementsTotal      int64            `json:"statements_total"`
	Transactions         int64            `json:"transactions"`
	StatementsPerOrder   float64          `json:"statements_per_order"`
	TransactionsPerOrder float64          `json:"transactions_per_order"`
}

// Share returns the named share, or nil.
func (m *MySQLCost) Share(name string) *ShareCost {
	for i := range m.Shares {
		if m.Shares[i].Name == name {
			return &m.Shares[i]
		}
	}
	return nil
}

// ProcessCPU is the CPU time the processes of one component used in the
// window.
type ProcessCPU struct {
	Name           string  `json:"name"`
	PIDs           []int   `json:"pids"`
	FoundBy        string  `json:"found_by"`
	Seconds        float64 `json:"cpu_seconds"`
	MillisPerOrder float64 `json:"cpu_ms_per_order"`
}

// EmailResult is how long the run's confirmation emails took.
type EmailResult struct {
	Expected int  `json:"expected"`
	Sent     int  `json:"sent"`
	AllSent  bool `json:"all_sent"`
	// Seconds runs from the burst's start to the last one sent (when all
	// were), both on MySQL's clock.
	Seconds float64 `json:"seconds_from_burst_start_to_last_sent,omitempty"`
	Note    string  `json:"note,omitempty"`
}

// Meter takes the readings a run's cost is computed from.
type Meter struct {
	// Status is the bench's own pool for SHOW GLOBAL STATUS and the email
	// polls; what it sends is the bench's share.
	Status *mysql.DB
	// Pools are the bench's other pools: the app share in-process, the
	// bench's in an HTTP run.
	Pools []*mysql.DB
	// AppMetrics and WorkerMetrics are the /metrics URLs of the app
	// servers and workers.
	AppMetrics, WorkerMetrics []string
	Components                []Component
	// ProcRoot is where /proc is (tests point it elsewhere).
	ProcRoot string
	Client   *http.Client
}

// Reading is the state of every counter at one moment.
type Reading struct {
	at        time.Time
	status    map[string]int64
	statusErr error
	app       []sourceCounts
	worker    []sourceCounts
	status0   mysql.Counts   // the Status pool's counts
	pools     []mysql.Counts // the other pools', in order
	procs     procTimes
}

// sourceCounts is one /metrics endpoint's counters.
type sourceCounts struct {
	url    string
	counts mysql.Counts
	start  float64 // process_start_time_seconds: a different process answered if it changed
	err    error
}

// Read takes a reading of every counter.
func (m *Meter) Read(ctx context.Context) *Reading {
	r := &Reading{at: time.Now()}
	// The processes keep working while they are read: reading them all at
	// once keeps what one counted and another did not to a few
	// milliseconds' worth. An app server's /metrics is the slowest (it
	// reads the queue depths too).
	var wg sync.WaitGroup
	r.app, r.worker = make([]sourceCounts, len(m.AppMetrics)), make([]sourceCounts, len(m.WorkerMetrics))
	for i, u := range m.AppMetrics {
		wg.Go(func() { r.app[i] = m.scrape(ctx, u) })
	}
	for i, u := range m.WorkerMetrics {
		wg.Go(func() { r.worker[i] = m.scrape(ctx, u) })
	}
	r.status, r.statusErr = ServerStatus(ctx, m.Status.SQL())
	r.status0 = m.Status.Counts()
	for _, p := range m.Pools {
		r.pools = append(r.pools, p.Counts())
	}
	wg.Wait()
	root := m.ProcRoot
	if root == "" {
		root = "/proc"
	}
	r.procs = readProcTimes(root, m.Components)
	return r
}

func (m *Meter) scrape(ctx context.Context, url string) sourceCounts {
	s := sourceCounts{url: url}
	s.counts, s.start, s.err = scrapeCounts(ctx, m.Client, url)
	return s
}

// ServerStatus reads the server's statement counters and Questions.
func ServerStatus(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	names := []string{"Questions", "Uptime"}
	for _, k := range comparableKinds {
		names = append(names, serverCounters[k]...)
	}
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('"+strings.Join(names, "','")+"')")
	if err != nil {
		return nil, fmt.Errorf("SHOW GLOBAL STATUS: %w", err)
	}
	defer rows.Close()
	status := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, fmt.Errorf("SHOW GLOBAL STATUS: %w", err)
		}
		status[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Which server answered: behind a load balancer, a failover during
	// the run puts another server's counters after it. A SHOW, like the
	// one above, so that reading it adds no statement the server counts.
	var name string
	var id int64
	if err := db.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'server_id'").Scan(&name, &id); err != nil {
		return nil, fmt.Errorf("SHOW GLOBAL VARIABLES LIKE 'server_id': %w", err)
	}
	status[serverIDKey] = id
	return status, nil
}

// serverIDKey holds @@server_id among a reading's status counters.
const serverIDKey = "@@server_id"

// otherServer says why two readings of the server's counters do not
// compare: another server answered, or it restarted in between.
func otherServer(before, after map[string]int64) string {
	switch {
	case before[serverIDKey] != after[serverIDKey]:
		return fmt.Sprintf("server %d answered before the run and server %d after it (a failover): their counters do not compare",
			before[serverIDKey], after[serverIDKey])
	case after["Uptime"] < before["Uptime"]:
		return "the server restarted during the run: its counters do not compare"
	}
	return ""
}

// scrapeCounts reads the statement counters of one process's /metrics.
func scrapeCounts(ctx context.Context, client *http.Client, url string) (mysql.Counts, float64, error) {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return mysql.Counts{}, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		// The innermost cause (connection refused, a timeout) is what
		// matters; the URL is already named beside it.
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
			err = u
		}
		return mysql.Counts{}, 0, fmt.Errorf("unreachable (%v)", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return mysql.Counts{}, 0, fmt.Errorf("answered %s", resp.Status)
	}
	return parseCounts(resp.Body)
}

// parseCounts reads admit's statement counters and the process's start
// time from the Prometheus text format.
func parseCounts(r io.Reader) (mysql.Counts, float64, error) {
	c := mysql.Counts{Statements: map[string]int64{}, Transactions: map[string]int64{}}
	var start float64
	found := false
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		value, _, _ = strings.Cut(strings.TrimSpace(value), " ") // a timestamp may follow
		name, labels, _ := strings.Cut(series, "{")
		switch name {
		case "admit_mysql_statements_total", "admit_mysql_transactions_total", "admit_mysql_connections_opened_total", "process_start_time_seconds":
		default:
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return c, 0, fmt.Errorf("metrics: %q: %v", line, err)
		}
		switch name {
		case "admit_mysql_statements_total":
			c.Statements[label(labels, "kind")] = int64(math.Round(v))
			found = true
		case "admit_mysql_transactions_total":
			c.Transactions[label(labels, "outcome")] = int64(math.Round(v))
		case "admit_mysql_connections_opened_total":
			c.Connections = int64(math.Round(v))
		case "process_start_time_seconds":
			start = v
		}
	}
	if err := s.Err(); err != nil {
		return c, 0, err
	}
	if !found {
		return c, 0, errors.New("no admit_mysql_statements_total (a build without statement counters?)")
	}
	return c, start, nil
}

// label returns the value of name in a Prometheus label set such as
// kind="select",x="y"}.
func label(labels, name string) string {
	i := strings.Index(labels, name+`="`)
	if i < 0 {
		return ""
	}
	v := labels[i+len(name)+2:]
	v, _, _ = strings.Cut(v, `"`)
	return v
}

// Cost computes a run's cost from the readings before and after it;
// inProcess says the bench's pools were the app (not the app servers).
func (m *Meter) Cost(before, after *Reading, orders int, inProcess bool) Cost {
	c := Cost{Orders: orders, WindowSeconds: after.at.Sub(before.at).Seconds()}
	local := func(name string, counts func(*Reading) []mysql.Counts) share {
		s := share{name: name, sources: []string{"this process"}, measured: true,
			counts: mysql.Counts{Statements: map[string]int64{}, Transactions: map[string]int64{}}}
		b, a := counts(before), counts(after)
		for i := range a {
			addDelta(&s.counts, b[i], a[i])
		}
		return s
	}
	statusPool := func(r *Reading) []mysql.Counts { return []mysql.Counts{r.status0} }
	otherPools := func(r *Reading) []mysql.Counts { return r.pools }
	allPools := func(r *Reading) []mysql.Counts { return append([]mysql.Counts{r.status0}, r.pools...) }
	var shares []share
	if inProcess {
		shares = append(shares, local("app", otherPools), remote("worker", before.worker, after.worker), local("bench", statusPool))
	} else {
		shares = append(shares, remote("app", before.app, after.app), remote("worker", before.worker, after.worker), local("bench", allPools))
	}
	if before.statusErr != nil || after.statusErr != nil {
		c.MySQLProblem = errors.Join(before.statusErr, after.statusErr).Error()
	} else {
		c.MySQL = mysqlCost(before.status, after.status, shares, orders)
	}
	c.CPU = cpuCost(before, after, m.Components, orders)
	return c
}

// share is one share's counts over the window, before division.
type share struct {
	name     string
	sources  []string
	problems []string
	measured bool
	counts   mysql.Counts
}

// remote sums the deltas of the /metrics endpoints that answered both
// times, and says what went wrong with the others.
func remote(name string, before, after []sourceCounts) share {
	s := share{name: name, counts: mysql.Counts{Statements: map[string]int64{}, Transactions: map[string]int64{}}}
	for i, a := range after {
		b := before[i]
		s.sources = append(s.sources, a.url)
		switch {
		case b.err != nil:
			s.problems = append(s.problems, fmt.Sprintf("%s before the run: %v", b.url, b.err))
		case a.err != nil:
			s.problems = append(s.problems, fmt.Sprintf("%s after the run: %v", a.url, a.err))
		case a.start != b.start:
			s.problems = append(s.problems, fmt.Sprintf("%s: a different process answered after the run (restarted, or a load balancer in front?)", a.url))
		default:
			addDelta(&s.counts, b.counts, a.counts)
			s.measured = true
		}
	}
	if len(after) == 0 {
		s.problems = append(s.problems, "no /metrics URL given")
	}
	return s
}

func addDelta(into *mysql.Counts, before, after mysql.Counts) {
	for k, v := range after.Statements {
		into.Statements[k] += v - before.Statements[k]
	}
	for k, v := range after.Transactions {
		into.Transactions[k] += v - before.Transactions[k]
	}
	into.Connections += after.Connections - before.Connections
}

// mysqlCost splits the server's counter deltas into the shares and other,
// per order.
func mysqlCost(before, after map[string]int64, shares []share, orders int) *MySQLCost {
	perOrder := func(n int64) float64 {
		if orders == 0 {
			return 0
		}
		return float64(n) / float64(orders)
	}
	finish := func(s *ShareCost) {
		for _, k := range comparableKinds {
			s.StatementsTotal += s.Statements[k]
		}
		s.StatementsPerOrder, s.TransactionsPerOrder = perOrder(s.StatementsTotal), perOrder(s.Transactions)
	}
	server := ShareCost{Name: "server", Sources: []string{"SHOW GLOBAL STATUS"}, Measured: true, Statements: map[string]int64{}}
	for _, k := range comparableKinds {
		for _, name := range serverCounters[k] {
			server.Statements[k] += after[name] - before[name]
		}
	}
	// Transactions as they end: the batches' sessions open theirs with
	// their first statement, not a BEGIN (mysql.batchTx).
	server.Transactions = server.Statements["commit"] + server.Statements["rollback"]
	finish(&server)
	m := &MySQLCost{Server: server, Questions: after["Questions"] - before["Questions"]}
	m.QuestionsPerOrder = perOrder(m.Questions)
	other := ShareCost{Name: "other", Sources: []string{"server minus the shares"}, Measured: true, Statements: map[string]int64{}}
	if why := otherServer(before, after); why != "" {
		// The shares' own counters still hold; the server's total and
		// what is left of it do not.
		m.Server.Measured, other.Measured, other.Problems = false, false, []string{why}
	}
	for k, v := range server.Statements {
		other.Statements[k] = v
	}
	other.Transactions = server.Transactions
	for _, s := range shares {
		sc := ShareCost{Name: s.name, Sources: s.sources, Problems: s.problems, Measured: s.measured, Statements: map[string]int64{}}
		if s.measured {
			for k, v := range s.counts.Statements {
				sc.Statements[k] = v
			}
			sc.Transactions = s.counts.Transactions[mysql.TxBegun]
			for _, k := range comparableKinds {
				other.Statements[k] -= sc.Statements[k]
			}
			other.Transactions -= sc.Transactions
		}
		finish(&sc)
		m.Shares = append(m.Shares, sc)
	}
	finish(&other)
	m.Shares = append(m.Shares, other)
	return m
}

// cpuCost is each component's CPU time over the window, counting the
// processes present at both readings, and the bench's own.
func cpuCost(before, after *Reading, components []Component, orders int) []ProcessCPU {
	perOrder := func(s float64) float64 {
		if orders == 0 {
			return 0
		}
		return 1000 * s / float64(orders)
	}
	var out []ProcessCPU
	for _, c := range components {
		a, ok := after.procs.byComponent[c.Name]
		if !ok {
			continue
		}
		p := ProcessCPU{Name: c.Name, FoundBy: after.procs.how[c.Name]}
		var ticks int64
		for pid, t := range a {
			if b, ok := before.procs.byComponent[c.Name][pid]; ok {
				p.PIDs = append(p.PIDs, pid)
				ticks += t - b
			}
		}
		slices.Sort(p.PIDs)
		p.Seconds = float64(ticks) / clockTicks
		p.MillisPerOrder = perOrder(p.Seconds)
		out = append(out, p)
	}
	self := float64(after.procs.self-before.procs.self) / clockTicks
	out = append(out, ProcessCPU{Name: "bench", PIDs: []int{os.Getpid()}, FoundBy: "this process", Seconds: self, MillisPerOrder: perOrder(self)})
	return out
}
