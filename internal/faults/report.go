package faults

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run measured and proved.
type Report struct {
	Event     string              `json:"event"`
	URLs      []string            `json:"urls"`
	Started   time.Time           `json:"started"`
	LoadEnded time.Time           `json:"load_ended"`
	Finished  time.Time           `json:"finished"`
	Drained   bool                `json:"drained"`
	Buyers    BuyerSummary        `json:"buyers"`
	Phases    []PhaseAvailability `json:"phases"`
	Checks    []CheckResult       `json:"checks"`

	fx   *fixture
	told []told
}

// Broken lists the invariants that did not hold (warnings excluded).
func (r *Report) Broken() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.Held && !c.Warning {
			out = append(out, c.Name)
		}
	}
	return out
}

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "admit faults: event %s through %s, %s of load\n", r.Event, strings.Join(r.URLs, " and "),
		r.LoadEnded.Sub(r.Started).Round(time.Second))
	b := r.Buyers
	unpaid := ""
	if len(b.UnpaidByKind) > 0 {
		unpaid = fmt.Sprintf(" (by kind: %v)", b.UnpaidByKind)
	}
	fmt.Fprintf(w, "buyers: %d started, %d ordered, %d told paid, %d sold out, %d failed, %d pending never paid%s\n\n",
		b.Started, b.Ordered, b.ToldPaid, b.SoldOut, b.Failed, b.Unpaid, unpaid)
	held := "yes"
	if len(r.Broken()) > 0 {
		held = "NO"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fault\tseconds\trequests\tretried\tfailed\tsuccess\tlongest gap\tinvariants held\t")
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%d\t%d\t%.2f%%\t%.1f s\t%s\t\n", p.Phase, p.Seconds, p.Requests, p.Retried, p.Failed, p.SuccessPct, p.LongestGap, held)
	}
	tw.Flush()
	for _, p := range r.Phases {
		if p.Rollout > 0 {
			fmt.Fprintf(w, "  %s: rollout %.1f s\n", p.Phase, p.Rollout)
		}
		for _, n := range p.Notes {
			fmt.Fprintf(w, "  %s: %s\n", p.Phase, n)
		}
	}
	fmt.Fprintln(w, "\n(requests: buyers' holds, orders and order-status reads, each counted once with its retries across both addresses;")
	fmt.Fprintln(w, " failed: no answer but a connection error, 5xx or 429 after the retries; longest gap: longest time without a success)")
	if !r.Drained {
		fmt.Fprintln(w, "\nside effects had NOT all drained by the deadline; the checks below ran anyway")
	}
	fmt.Fprintln(w, "\ninvariants (from MySQL, the SES store and the webhook receiver):")
	for _, c := range r.Checks {
		status := "held"
		switch {
		case !c.Held && c.Warning:
			status = "WARNING"
		case !c.Held:
			status = "BROKEN"
		}
		fmt.Fprintf(w, "  %-8s %s: %s\n", status, c.Name, c.Detail)
		for _, p := range c.Problems {
			fmt.Fprintf(w, "           %s\n", p)
		}
	}
	if len(b.Errors) > 0 {
		fmt.Fprintln(w, "\nfirst buyer failures:")
		for _, e := range b.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if len(b.IntegrationErrors) > 0 {
		fmt.Fprintln(w, "\nfirst failures of the organizer's integration and of the Stripe notifications:")
		for _, e := range b.IntegrationErrors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}
