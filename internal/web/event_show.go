package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// csrfPlaceholder stands in for the visitor's CSRF token in cached pages;
// it is replaced on every response, so a cached page never carries anyone
// else's token.
const csrfPlaceholder = "__ADMIT_CSRF_TOKEN__"

type ticketTypeView struct {
	ID          int64
	Name        string
	Description string
	Price       string
	State       admit.Availability
	StateLabel  string
	Remaining   int
	Options     []int // the quantities the select offers
	Selected    int
	Problem     string
}

type eventPage struct {
	Base        basePage
	Event       *admit.Event
	Org         string
	When        string
	StartsISO   string
	Description template.HTML
	Closed      bool
	OnSale      bool
	TicketTypes []ticketTypeView
	Problem     string
}

// eventShow renders the public event page. The rendered page is cached for a
// few seconds: availability shown here may be that old, and the hold step
// is what decides.
func (h *Handler) eventShow(c echo.Context) error {
	orgSlug, eventSlug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(orgSlug) || !admit.ValidSlug(eventSlug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	key := "event-page:v2:" + orgSlug + ":" + eventSlug
	if body, ok := h.cache.Get(key); ok {
		c.Response().Header().Set("X-Cache", "hit")
		return h.htmlWithToken(c, http.StatusOK, body)
	}
	ctx := c.Request().Context()
	ev, err := h.store.FindPublicEvent(ctx, orgSlug, eventSlug)
	if err != nil {
		return err
	}
	body, err := h.renderEvent(c, orgSlug, ev, nil, nil, "")
	if err != nil {
		return err
	}
	h.cache.Set(key, body, h.ttl)
	c.Response().Header().Set("X-Cache", "miss")
	return h.htmlWithToken(c, http.StatusOK, body)
}

// renderEvent renders the event page with the buyer's choices and problems
// (after a failed hold), or none (the cached page).
func (h *Handler) renderEvent(c echo.Context, orgSlug string, ev *admit.Event, selected map[int64]int, problems admit.Problems, problem string) ([]byte, error) {
	types, err := h.store.ListTicketTypes(c.Request().Context(), ev.OrganizationID, ev.ID, false)
	if err != nil {
		return nil, err
	}
	page := eventPage{
		Base:        basePage{CSRF: csrfPlaceholder},
		Event:       ev,
		Org:         orgSlug,
		When:        formatWhen(ev),
		StartsISO:   ev.StartsAt.UTC().Format(time.RFC3339),
		Description: paragraphs(ev.Description),
		Closed:      ev.Status == admit.EventClosed,
		Problem:     problem,
	}
	now := h.now()
	for _, t := range types {
		state := t.AvailabilityAt(now, ev.StartsAt)
		if page.Closed && state == admit.OnSale {
			state = admit.SalesEnded
		}
		v := ticketTypeView{
			ID: t.ID, Name: t.Name, Description: t.Description,
			Price: admit.FormatMoney(t.Price, ev.Currency), State: state,
			StateLabel: stateLabel(state, t, ev), Remaining: t.Remaining(),
			Selected: selected[t.ID], Problem: problems.For("ticket_type_" + strconv.FormatInt(t.ID, 10)),
		}
		if state == admit.OnSale {
			page.OnSale = true
			most := min(t.MaxPerOrder, t.Remaining())
			v.Options = []int{0}
			for q := t.MinPerOrder; q <= most; q++ {
				v.Options = append(v.Options, q)
			}
		}
		page.TicketTypes = append(page.TicketTypes, v)
	}
	return h.pages.Render("event", page)
}

// htmlWithToken writes a page rendered with the CSRF placeholder, putting
// in the visitor's own token.
func (h *Handler) htmlWithToken(c echo.Context, status int, body []byte) error {
	token, _ := c.Get(csrfContextKey).(string)
	return c.HTMLBlob(status, bytes.ReplaceAll(body, []byte(csrfPlaceholder), []byte(template.HTMLEscapeString(token))))
}

func stateLabel(s admit.Availability, t *admit.TicketType, ev *admit.Event) string {
	switch s {
	case admit.SoldOut:
		return "Sold out"
	case admit.NotYetOnSale:
		return "On sale from " + t.SalesStart.In(ev.Location()).Format("Mon 2 Jan 2006, 15:04")
	case admit.SalesEnded:
		return "Sales ended"
	}
	if r := t.Remaining(); r <= 10 {
		return "On sale · only " + strconv.Itoa(r) + " left"
	}
	return "On sale"
}

// formatWhen shows the event's dates in its own time zone.
func formatWhen(ev *admit.Event) string {
	loc := ev.Location()
	start := ev.StartsAt.In(loc)
	s := start.Format("Monday 2 January 2006, 15:04")
	if !ev.EndsAt.IsZero() {
		end := ev.EndsAt.In(loc)
		if end.YearDay() == start.YearDay() && end.Year() == start.Year() {
			s += " – " + end.Format("15:04")
		} else {
			s += " – " + end.Format("Monday 2 January 2006, 15:04")
		}
	}
	return s
}

// paragraphs renders plain text as escaped HTML paragraphs. (The console
// issue brings Markdown; until then descriptions are plain text.)
func paragraphs(text string) template.HTML {
	var sb strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			sb.WriteString("<p>")
			sb.WriteString(strings.ReplaceAll(template.HTMLEscapeString(p), "\n", "<br>"))
			sb.WriteString("</p>\n")
		}
	}
	return template.HTML(sb.String()) // every piece of text above was escaped
}

func itoa(n int) string { return strconv.Itoa(n) }
