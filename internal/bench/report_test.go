package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// sampleReport is a run of every strategy with large figures, one worker
// unreachable and one run whose emails were not all sent.
func sampleReport() *Report {
	share := func(name string, measured bool, perOrder, tx float64, problems ...string) ShareCost {
		return ShareCost{Name: name, Measured: measured, Problems: problems, StatementsPerOrder: perOrder, TransactionsPerOrder: tx,
			Statements: map[string]int64{"select": 12000, "insert": 9000, "update": 4000, "set": 1000, "begin": 1000, "commit": 1000}}
	}
	r := &Report{Machine: "linux/amd64, 2 CPUs", Buyers: 5000, Capacity: 1000, Profile: "burst", Targets: DefaultTargets}
	for i, name := range []string{"admit (HTTP, room)", "admit", "row", "event-lock"} {
		res := &Result{Strategy: name, Buyers: 5000, OrdersPerSec: 1234.5, HoldsPerSec: 2345.6,
			Outcomes: Outcomes{Ordered: 1000, SoldOut: 4000, RateLimited: 12345, Errors: 12345, Status5xx: 12345},
			Steps:    map[string]Summary{"hold": {P50: 12345.6, P99: 23456.7}, "order": {P50: 12345.6, P99: 23456.7}}}
		worker := share("worker", true, 2.5, 0)
		if i == 1 {
			worker = share("worker", false, 0, 0, "http://127.0.0.1:9191/metrics before the run: unreachable (connect: connection refused)")
		}
		res.Cost = &Cost{Orders: 1000, WindowSeconds: 123.4,
			MySQL: &MySQLCost{Server: share("server", true, 1234.5, 12.34), QuestionsPerOrder: 1300.2,
				Shares: []ShareCost{share("app", true, 1000.5, 10.25), worker, share("bench", true, 0.3, 0), share("other", true, 233.7, 2.09)}},
			CPU: []ProcessCPU{{Name: "mysqld", FoundBy: "listening on 127.0.0.1:13306", PIDs: []int{4628}, MillisPerOrder: 1234.56},
				{Name: "admit serve", FoundBy: "command line", MillisPerOrder: 1234.56}, {Name: "admit worker", MillisPerOrder: 1234.56},
				{Name: "SES emulator", MillisPerOrder: 1234.56}, {Name: "redis", MillisPerOrder: 1234.56}, {Name: "haproxy", MillisPerOrder: 1234.56},
				{Name: "bench", MillisPerOrder: 1234.56}},
			Emails: EmailResult{Expected: 1000, Sent: 1000, AllSent: true, Seconds: 123.4}}
		if i == 2 {
			res.Cost.Emails = EmailResult{Expected: 1000, Sent: 312, Note: "not all sent: 312 of 1000 within 2m0s"}
		}
		r.Results = append(r.Results, res)
		r.Checks = append(r.Checks, Checked{Strategy: name, Sold: 1000})
	}
	return r
}

// TestReportFitsAndTells: the table stays within 100 columns with large
// figures, shows the cost beside the effect, says what was not measured
// and whether each target was met, and the JSON carries every figure.
func TestReportFitsAndTells(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	r.WriteTable(&b)
	out := b.String()
	for i, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line %d is %d columns:\n%s", i+1, n, line)
		}
	}
	for _, want := range []string{
		"stmts app", "tx app", "1000", "10.2",
		"1000 MISSED", "10.2 MISSED", "2.50 met", "not measured",
		"admit: worker share not measured (its statements are counted in other):\n    http://127.0.0.1:9191/metrics before the run: unreachable",
		"123.4 s (1000)", "not all sent (312/1000)",
		"CPU ms per order", "mysqld: pid 4628, found by listening on 127.0.0.1:13306",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}

	j, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"targets":{"app_statements_per_order":6,"app_transactions_per_order":0.5,"worker_statements_per_order":3}`,
		`"statements_per_order":1000.5`, `"transactions_per_order":10.25`, `"questions_per_order":1300.2`, `"cpu_ms_per_order":1234.56`,
		`"found_by":"listening on 127.0.0.1:13306"`, `"seconds_from_burst_start_to_last_sent":123.4`, `"note":"not all sent: 312 of 1000 within 2m0s"`,
		`"measured":false`, `"window_seconds":123.4`} {
		if !strings.Contains(string(j), want) {
			t.Errorf("the JSON lacks %s", want)
		}
	}
}
