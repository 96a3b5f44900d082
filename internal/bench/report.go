package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is everything one `admit bench onsale` run measured.
type Report struct {
	Machine  string    `json:"machine"`
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

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "admit bench onsale: %d buyers, %d tickets, %s, on %s\n\n", r.Buyers, r.Capacity, r.Profile, r.Machine)
	fmt.Fprintln(tw, "strategy\torders/s\tholds/s\tordered\tsold out\t429\terrors\t5xx\thold p50\thold p99\torder p50\torder p99\t")
	for _, res := range r.Results {
		h, o := res.Steps["hold"], res.Steps["order"]
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t%d\t%.1f ms\t%.1f ms\t%.1f ms\t%.1f ms\t\n", res.Strategy, res.OrdersPerSec, res.HoldsPerSec,
			res.Outcomes.Ordered, res.Outcomes.SoldOut, res.Outcomes.RateLimited, res.Outcomes.Errors, res.Outcomes.Status5xx, h.P50, h.P99, o.P50, o.P99)
	}
	tw.Flush()
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
