package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report is everything one `admit bench onsale` run measured.
type Report struct {
	Machine  string    `json:"machine"`
	Targets  Targets   `json:"targets"`
	Buyers   int       `json:"buyers"`
	Capacity int       `json:"capacity"`
	Profile  string    `json:"profile"`
	Results  []*Result `json:"results"`
	Checks   []Checked `json:"checks"`
	Limits   *Limits   `json:"limits,omitempty"`
	// CachedPage is event page GETs per second from memcached (via HTTP).
	CachedPage float64 `json:"cached_event_page_requests_per_second,omitempty"`
}

// Checked is the invariant check of one strategy's run.
type Checked struct {
	Strategy string   `json:"strategy"`
	Sold     int      `json:"sold"`
	Problems []string `json:"problems"`
}

// WriteTable prints the report for people, in tables that fit 100
// columns.
func (r *Report) WriteTable(w io.Writer) {
	newTable := func() *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight) }
	fmt.Fprintf(w, "admit bench onsale: %d buyers, %d tickets, %s, on %s\n\n", r.Buyers, r.Capacity, r.Profile, r.Machine)
	tw := newTable()
	fmt.Fprintln(tw, "strategy\torders/s\tholds/s\tordered\tsold out\t429\terrors\t5xx\t")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t%d\t\n", res.Strategy, res.OrdersPerSec, res.HoldsPerSec,
			res.Outcomes.Ordered, res.Outcomes.SoldOut, res.Outcomes.RateLimited, res.Outcomes.Errors, res.Outcomes.Status5xx)
	}
	tw.Flush()
	for _, res := range r.Results {
		writeFailover(w, res)
	}
	fmt.Fprintln(w)
	tw = newTable()
	fmt.Fprintln(tw, "strategy\thold p50\thold p99\torder p50\torder p99\tlast confirmation sent\t")
	for _, res := range r.Results {
		h, o := res.Steps["hold"], res.Steps["order"]
		fmt.Fprintf(tw, "%s\t%.1f ms\t%.1f ms\t%.1f ms\t%.1f ms\t%s\t\n", res.Strategy, h.P50, h.P99, o.P50, o.P99, emailCell(res.Cost))
	}
	tw.Flush()
	for _, res := range r.Results {
		if note := emailNote(res.Cost); note != "" {
			fmt.Fprintf(w, "  %s confirmations: %s\n", res.Strategy, note)
		}
		if res.Cost != nil && res.Cost.OutboxLeft > 0 {
			fmt.Fprintf(w, "  %s: %d of its side effects were not done when the run's window closed; the worker's\n"+
				"    share lacks what they will cost\n", res.Strategy, res.Cost.OutboxLeft)
		}
	}
	r.writeCost(w, newTable)
	for _, res := range r.Results {
		if rm := res.Room; rm != nil {
			q, qp, h := res.Steps["queue"], res.Steps["queue_page"], res.Steps["hold"]
			fmt.Fprintf(w, "\nwaiting room (%s): %d/min configured, %d of %d buyers admitted at %.0f/min (10th to 90th percentile of admissions; %.0f/min from opening to the last); at most %d in one second\n",
				res.Strategy, rm.RatePerMinute, rm.Admitted, rm.Arrived, rm.AdmittedPerMinute, rm.OverallPerMinute, rm.PeakPerSecond)
			if rm.ArrivalsPerSecond > 0 {
				fmt.Fprintf(w, "  arrivals %.0f/s over %.1f/s admitted = %.1fx overload\n", rm.ArrivalsPerSecond, float64(rm.RatePerMinute)/60, rm.Overload)
			} else {
				fmt.Fprintf(w, "  all %d arrived at once: %.0f s of admissions\n", rm.Arrived, float64(rm.Arrived)/(float64(rm.RatePerMinute)/60))
			}
			fmt.Fprintf(w, "  queue (arrival to admission) p50 %.1f s, p99 %.1f s, max %.1f s; queue page p50 %.1f ms, p99 %.1f ms (%d requests, %d unavailable)\n",
				q.P50/1000, q.P99/1000, q.Max/1000, qp.P50, qp.P99, rm.Polls, rm.Unavailable)
			fmt.Fprintf(w, "  admitted buyers' hold p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d holds)\n", h.P50, h.P90, h.P99, h.Max, h.Count)
		}
	}
	byName := map[string]*Result{}
	for _, res := range r.Results {
		byName[res.Strategy] = res
	}
	if a, ok := byName["admit"]; ok {
		for _, base := range []string{"row", "event-lock"} {
			if b, ok := byName[base]; ok && b.OrdersPerSec > 0 {
				fmt.Fprintf(w, "\nadmit vs %s: %.1fx orders/s, %.1fx holds/s", base, a.OrdersPerSec/b.OrdersPerSec, a.HoldsPerSec/max(b.HoldsPerSec, 1e-9))
			}
		}
		fmt.Fprintln(w)
	}
	if l := r.Limits; l != nil {
		fmt.Fprintf(w, "\nmachine limits: durable INSERT commits %.0f/s (16 clients), %.0f/s (64); one hot row %.0f updates/s; Redis EVALSHA %.0f/s; echo hello world %.0f req/s\n",
			l.InsertCommits16, l.InsertCommits64, l.HotRowUpdates, l.RedisEvalsha, l.EchoHello)
		for _, res := range r.Results {
			fmt.Fprintf(w, "  %-14s orders/s = %.0f%% of durable commits (64 clients)\n", res.Strategy, 100*res.OrdersPerSec/max(l.InsertCommits64, 1e-9))
		}
		if r.CachedPage > 0 {
			fmt.Fprintf(w, "  cached event page %.0f req/s = %.0f%% of echo hello world\n", r.CachedPage, 100*r.CachedPage/max(l.EchoHello, 1e-9))
		}
	}
	fmt.Fprintln(w, "\ninvariants (from MySQL):")
	for _, c := range r.Checks {
		status := "held"
		if len(c.Problems) > 0 {
			status = "BROKEN: " + strings.Join(c.Problems, "; ")
		}
		fmt.Fprintf(w, "  %-14s sold %d: %s\n", c.Strategy, c.Sold, status)
	}
}

// WriteSVG plots throughput (orders per second) and the order step's p50
// and p99 over time for each strategy.
func (r *Report) WriteSVG(w io.Writer) {
	const width, height, pad = 760, 420, 50
	colors := []string{"#0b5fff", "#b00020", "#0a7d32", "#8a5300"}
	secs, most, worst := 1, 1.0, 1.0
	for _, res := range r.Results {
		for _, p := range res.Series["order"] {
			secs = max(secs, p.Second+1)
			most = max(most, float64(p.Count))
			worst = max(worst, p.P99)
		}
	}
	half := (height - 3*pad) / 2
	x := func(s int) float64 { return pad + float64(width-2*pad)*float64(s)/float64(secs) }
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#fff"/><text x="%d" y="18" font-size="13">orders per second</text>`, pad)
	fmt.Fprintf(w, `<text x="%d" y="%d" font-size="13">order step latency, p50 (dashed) and p99 (ms)</text>`, pad, pad+half+pad-8)
	for i, res := range r.Results {
		c := colors[i%len(colors)]
		var tp, p50, p99 []string
		for _, p := range res.Series["order"] {
			tp = append(tp, fmt.Sprintf("%.1f,%.1f", x(p.Second), float64(pad+half)-float64(half)*float64(p.Count)/most))
			base := float64(2*pad + 2*half)
			p50 = append(p50, fmt.Sprintf("%.1f,%.1f", x(p.Second), base-float64(half)*p.P50/worst))
			p99 = append(p99, fmt.Sprintf("%.1f,%.1f", x(p.Second), base-float64(half)*p.P99/worst))
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, c, strings.Join(tp, " "))
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-dasharray="4 3" points="%s"/>`, c, strings.Join(p50, " "))
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, c, strings.Join(p99, " "))
		fmt.Fprintf(w, `<text x="%d" y="%d" fill="%s">%s</text>`, width-pad-150, 18+14*i, c, res.Strategy)
	}
	fmt.Fprintf(w, `<text x="4" y="%d">%.0f</text><text x="4" y="%d">%.0f ms</text>`, pad+4, most, 2*pad+half+4, worst)
	fmt.Fprintf(w, `<text x="%d" y="%d">time (s) → %d</text></svg>`, pad, height-8, secs)
}

// writeFailover prints what a run's faults and retries cost: requests
// retried, the longest time without an order, the component killed, and
// the Galera conflicts.
func writeFailover(w io.Writer, res *Result) {
	if res.Outcomes.Retried > 0 || res.Fault != nil {
		fmt.Fprintf(w, "  %s: %d requests needed a retry; longest time between two orders %.1f s\n",
			res.Strategy, res.Outcomes.Retried, res.LongestGap)
	}
	if f := res.Fault; f != nil {
		switch {
		case f.KilledAt == 0:
			fmt.Fprintf(w, "  fault: %s not killed: %s\n", f.Component, f.Error)
		case f.Error != "":
			fmt.Fprintf(w, "  fault: %s killed %.1f s into the run; restoring it failed: %s\n", f.Component, f.KilledAt, f.Error)
		default:
			when := "after the run's checks"
			if f.DuringRun {
				when = "during the run"
			}
			fmt.Fprintf(w, "  fault: %s killed %.1f s into the run, restored %s (in %.1f s)\n", f.Component, f.KilledAt, when, f.RestoreSeconds)
		}
	}
	if g := res.Galera; g != nil {
		fmt.Fprintf(w, "  galera: %d certification failures, %d brute-force aborts (%d nodes up at the end)\n", g.CertFailures, g.BFAborts, g.Nodes)
	}
}

// emailCell says when the run's last confirmation email was sent; a
// longer story is told under the table (emailNote).
func emailCell(c *Cost) string {
	switch {
	case c == nil:
		return "-"
	case c.Emails.AllSent:
		return fmt.Sprintf("%.1f s (%d)", c.Emails.Seconds, c.Emails.Sent)
	case c.Emails.Expected == 0:
		return "none expected"
	case strings.HasPrefix(c.Emails.Note, "not all sent"):
		return fmt.Sprintf("not all sent (%d/%d)", c.Emails.Sent, c.Emails.Expected)
	case strings.HasPrefix(c.Emails.Note, "not waited"):
		return fmt.Sprintf("not waited (%d/%d)", c.Emails.Sent, c.Emails.Expected)
	}
	return "unknown"
}

// emailNote is what emailCell could not say: why the outcome is unknown,
// or a remark on emails that were all sent.
func emailNote(c *Cost) string {
	switch {
	case c == nil:
		return ""
	case emailCell(c) == "unknown", c.Emails.AllSent:
		return c.Emails.Note
	}
	return ""
}

// writeCost prints what each run cost per order: MySQL statements and
// transactions by share, the targets, the statements by kind, and the CPU
// time of each process.
func (r *Report) writeCost(w io.Writer, newTable func() *tabwriter.Writer) {
	var costed []*Result
	for _, res := range r.Results {
		if res.Cost != nil {
			costed = append(costed, res)
		}
	}
	if len(costed) == 0 {
		return
	}
	writeMySQLShares(w, newTable, costed)
	writeShareProblems(w, costed)
	r.writeTargets(w, newTable, costed)
	writeStatementKinds(w, newTable, costed)
	writeCPU(w, newTable, costed)
}

// writeMySQLShares prints the statements and transactions per order of
// each share: the checkout, the worker, the bench and the rest.
func writeMySQLShares(w io.Writer, newTable func() *tabwriter.Writer, costed []*Result) {
	perOrder := func(s *ShareCost) string {
		if s == nil || !s.Measured {
			return "n/a"
		}
		return figure(s.StatementsPerOrder)
	}
	fmt.Fprintln(w, "\nMySQL per order, from the server's counters and each process's own (app: the checkout path;")
	fmt.Fprintln(w, "bench: its own bookkeeping; other: the server's total minus the shares):")
	tw := newTable()
	fmt.Fprintln(tw, "strategy\tstmts app\tworker\tbench\tother\tall\ttx app\ttx all\tquestions\t")
	for _, res := range costed {
		m := res.Cost.MySQL
		if m == nil {
			fmt.Fprintf(tw, "%s\tn/a\t\t\t\t\t\t\t\t\n", res.Strategy)
			continue
		}
		app := m.Share("app")
		tx := "n/a"
		if app != nil && app.Measured {
			tx = figure(app.TransactionsPerOrder)
		}
		all, txAll, questions := "n/a", "n/a", "n/a"
		if m.Server.Measured {
			all, txAll, questions = figure(m.Server.StatementsPerOrder), figure(m.Server.TransactionsPerOrder), figure(m.QuestionsPerOrder)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", res.Strategy, perOrder(app), perOrder(m.Share("worker")),
			perOrder(m.Share("bench")), perOrder(m.Share("other")), all, tx, txAll, questions)
	}
	tw.Flush()
}

// writeShareProblems says which runs' counters or shares could not be
// read in full, and why.
func writeShareProblems(w io.Writer, costed []*Result) {
	for _, res := range costed {
		if res.Cost.MySQLProblem != "" {
			fmt.Fprintf(w, "  %s: the server's counters could not be read: %s\n", res.Strategy, res.Cost.MySQLProblem)
		}
		if m := res.Cost.MySQL; m != nil {
			for _, s := range m.Shares {
				switch {
				case len(s.Problems) == 0:
					continue
				case s.Measured:
					fmt.Fprintf(w, "  %s: %s share partly measured (the rest is counted in other):\n", res.Strategy, s.Name)
				case s.Name == "other":
					fmt.Fprintf(w, "  %s: the server's total, and so other, not measured:\n", res.Strategy)
				default:
					fmt.Fprintf(w, "  %s: %s share not measured (its statements are counted in other):\n", res.Strategy, s.Name)
				}
				for _, p := range s.Problems {
					fmt.Fprintf(w, "    %s\n", p)
				}
			}
		}
	}
}

// writeTargets compares each run's statements and transactions per order
// with the targets.
func (r *Report) writeTargets(w io.Writer, newTable func() *tabwriter.Writer, costed []*Result) {
	t := r.Targets
	fmt.Fprintf(w, "\ntargets per order: app at most %g statements and %g transactions, worker at most %g statements\n",
		t.AppStatements, t.AppTransactions, t.WorkerStatements)
	tw := newTable()
	fmt.Fprintln(tw, "strategy\tapp statements\tapp transactions\tworker statements\t")
	for _, res := range costed {
		m := res.Cost.MySQL
		if m == nil || res.Cost.Orders == 0 {
			fmt.Fprintf(tw, "%s\tn/a\tn/a\tn/a\t\n", res.Strategy)
			continue
		}
		app, wk := m.Share("app"), m.Share("worker")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", res.Strategy, verdict(app, app.StatementsPerOrder, t.AppStatements),
			verdict(app, app.TransactionsPerOrder, t.AppTransactions), verdict(wk, wk.StatementsPerOrder, t.WorkerStatements))
	}
	tw.Flush()
}

// writeStatementKinds prints each measured share's statements per order by
// kind (SELECT, INSERT, ...).
func writeStatementKinds(w io.Writer, newTable func() *tabwriter.Writer, costed []*Result) {
	fmt.Fprintln(w, "\nMySQL statements per order by kind:")
	tw := newTable()
	fmt.Fprint(tw, "strategy\tshare\t")
	for _, k := range comparableKinds {
		fmt.Fprintf(tw, "%s\t", k)
	}
	fmt.Fprintln(tw)
	for _, res := range costed {
		m := res.Cost.MySQL
		if m == nil || res.Cost.Orders == 0 {
			continue
		}
		for _, s := range m.Shares {
			if s.Name == "bench" || !s.Measured {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t", res.Strategy, s.Name)
			for _, k := range comparableKinds {
				fmt.Fprintf(tw, "%s\t", figure(float64(s.Statements[k])/float64(res.Cost.Orders)))
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()
}

// writeCPU prints the CPU time per order of each process found, and how it
// was found.
func writeCPU(w io.Writer, newTable func() *tabwriter.Writer, costed []*Result) {
	// One column per component found in any run, in the order found.
	var names []string
	for _, res := range costed {
		for _, p := range res.Cost.CPU {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	fmt.Fprintln(w, "\nCPU ms per order (utime+stime from /proc over the window):")
	tw := newTable()
	fmt.Fprint(tw, "strategy\t")
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t", shortName(n))
	}
	fmt.Fprintln(tw, "all\twindow\t")
	for _, res := range costed {
		fmt.Fprintf(tw, "%s\t", res.Strategy)
		var all float64
		for _, n := range names {
			i := slices.IndexFunc(res.Cost.CPU, func(p ProcessCPU) bool { return p.Name == n })
			if i < 0 || res.Cost.Orders == 0 {
				fmt.Fprint(tw, "-\t")
				continue
			}
			all += res.Cost.CPU[i].MillisPerOrder
			fmt.Fprintf(tw, "%s\t", figure(res.Cost.CPU[i].MillisPerOrder))
		}
		fmt.Fprintf(tw, "%s\t%.1f s\t\n", figure(all), res.Cost.WindowSeconds)
	}
	tw.Flush()
	for _, n := range names {
		for _, res := range costed {
			if i := slices.IndexFunc(res.Cost.CPU, func(p ProcessCPU) bool { return p.Name == n }); i >= 0 {
				p := res.Cost.CPU[i]
				pids := "none present at both readings"
				if len(p.PIDs) > 0 {
					pids = "pid " + strings.Trim(fmt.Sprint(p.PIDs), "[]")
				}
				fmt.Fprintf(w, "  %s: %s, found by %s\n", n, pids, p.FoundBy)
				break
			}
		}
	}
}

// shortName is a component's column header.
func shortName(name string) string {
	switch name {
	case "SES emulator":
		return "SES"
	}
	return strings.TrimPrefix(name, "admit ")
}

// verdict compares a share's figure with its target.
func verdict(s *ShareCost, got, target float64) string {
	switch {
	case s == nil || !s.Measured:
		return "not measured"
	case got > target:
		return fmt.Sprintf("%s MISSED", figure(got))
	}
	return fmt.Sprintf("%s met", figure(got))
}

// figure prints a per-order figure with the digits that matter: small
// ones (a statement in ten orders, a tenth of a millisecond) keep two
// decimals, large ones none.
func figure(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
