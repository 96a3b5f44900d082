package console

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type typeRow struct {
	Type      *admit.TicketType
	Price     string
	Remaining int
	Percent   int
}

type eventPage struct {
	Base      basePage
	Event     *admit.Event
	When      string
	Types     []typeRow
	Summary   admit.EventSummary
	Revenue   string
	Chart     template.HTML
	PublicURL string
	CheckIns  admit.CheckInCount
	Room      roomView
	// PublishProblems names what keeps the event from selling; shown on a
	// draft, and as the reason when PublishRefused.
	PublishProblems []string
	PublishRefused  bool
}

// eventShow is the event's dashboard: tickets sold and remaining by type,
// revenue, orders today and sales over time.
func (h *Handler) eventShow(c echo.Context) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("event"), 10, 64)
	if err != nil {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	ev, err := h.store.FindEvent(ctx, m.org.ID, id)
	if err != nil {
		return err
	}
	return h.eventDashboard(c, http.StatusOK, ev, nil)
}

// eventDashboard renders the event's dashboard with status; refused names
// what kept the organizer's attempt to publish from succeeding.
func (h *Handler) eventDashboard(c echo.Context, status int, ev *admit.Event, refused admit.Problems) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	types, err := h.store.ListTicketTypes(ctx, m.org.ID, ev.ID, true)
	if err != nil {
		return err
	}
	summary, err := h.store.SummarizeEvent(ctx, m.org.ID, ev.ID)
	if err != nil {
		return err
	}
	sales, err := h.store.SalesByDay(ctx, m.org.ID, ev.ID, 30)
	if err != nil {
		return err
	}
	checkIns, err := h.store.CountEventCheckIns(ctx, m.org.ID, ev.ID)
	if err != nil {
		return err
	}
	page := eventPage{Base: h.base(c, "events"), Event: ev, When: formatWhenRange(ev), Summary: summary,
		Revenue: admit.FormatAmount(summary.Revenue, ev.Currency), Chart: salesChart(sales),
		PublicURL: "/e/" + m.org.Slug + "/" + ev.Slug, CheckIns: checkIns, Room: h.roomView(ctx, ev)}
	for _, t := range types {
		row := typeRow{Type: t, Price: admit.FormatMoney(t.Price, ev.Currency), Remaining: t.Remaining()}
		if t.Quantity > 0 {
			row.Percent = 100 * (t.Sold + t.Reserved) / t.Quantity
		}
		page.Types = append(page.Types, row)
	}
	page.PublishRefused = refused != nil
	if refused == nil && ev.Status == admit.EventDraft {
		// A draft shows what it still lacks before the organizer tries.
		refused, _ = problemsOf(ev.CheckPublishable(types, h.paymentMethods(), time.Now()))
	}
	for _, p := range refused {
		page.PublishProblems = append(page.PublishProblems, p.Message)
	}
	return h.html(c, status, "event", page)
}

func formatWhenRange(ev *admit.Event) string {
	loc := ev.Location()
	s := ev.StartsAt.In(loc).Format(consoleTimeLayout)
	if !ev.EndsAt.IsZero() {
		s += " – " + ev.EndsAt.In(loc).Format(consoleTimeLayout)
	}
	return s + " " + loc.String()
}

// salesChart draws tickets sold per day as a server-rendered SVG bar chart:
// no JavaScript, and it prints.
func salesChart(days []admit.DaySales) template.HTML {
	const width, height, pad = 600, 160, 20
	most := 1
	for _, d := range days {
		most = max(most, d.Tickets)
	}
	bar := float64(width-2*pad) / float64(len(days))
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Tickets sold per day, last %d days">`, width, height, len(days))
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c7c7cc"/>`, pad, height-pad, width-pad, height-pad)
	for i, d := range days {
		h := float64(height-2*pad) * float64(d.Tickets) / float64(most)
		x := float64(pad) + float64(i)*bar
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#0b5fff"><title>%s: %d</title></rect>`,
			x+1, float64(height-pad)-h, bar-2, h, d.Day.Format("2 Jan"), d.Tickets)
	}
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="11" fill="#6e6e73">%s</text>`, pad, height-4, days[0].Day.Format("2 Jan"))
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="11" fill="#6e6e73" text-anchor="end">today</text>`, width-pad, height-4)
	if sold := most > 1 || slices.ContainsFunc(days, func(d admit.DaySales) bool { return d.Tickets > 0 }); sold {
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="11" fill="#6e6e73">%d</text>`, pad, pad-6, most)
	} else {
		// With nothing sold the scale's top would read a meaningless "1".
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="13" fill="#6e6e73" text-anchor="middle">No tickets sold in the last %d days</text>`, width/2, height/2, len(days))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) // built only from numbers and dates formatted above
}
