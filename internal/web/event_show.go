package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type ticketTypeView struct {
	ID          int64
	Name        string
	Description string
	Price       string
	State       admit.Availability
	StateLabel  string
	Remaining   int
}

type eventPage struct {
	Base        basePage
	Event       *admit.Event
	When        string
	StartsISO   string
	Description template.HTML
	Closed      bool
	TicketTypes []ticketTypeView
}

// eventShow renders the public event page. The rendered page is cached for a
// few seconds: availability shown here may be that old, and the hold step
// is what decides.
func (h *Handler) eventShow(c echo.Context) error {
	orgSlug, eventSlug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(orgSlug) || !admit.ValidSlug(eventSlug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	key := "event-page:v1:" + orgSlug + ":" + eventSlug
	if body, ok := h.cache.Get(key); ok {
		c.Response().Header().Set("X-Cache", "hit")
		return c.HTMLBlob(http.StatusOK, body)
	}
	ctx := c.Request().Context()
	ev, err := h.store.FindPublicEvent(ctx, orgSlug, eventSlug)
	if err != nil {
		return err
	}
	types, err := h.store.ListTicketTypes(ctx, ev.OrganizationID, ev.ID, false)
	if err != nil {
		return err
	}
	page := eventPage{
		Base:        basePage{},
		Event:       ev,
		When:        formatWhen(ev),
		StartsISO:   ev.StartsAt.UTC().Format(time.RFC3339),
		Description: paragraphs(ev.Description),
		Closed:      ev.Status == admit.EventClosed,
	}
	now := h.now()
	for _, t := range types {
		state := t.AvailabilityAt(now, ev.StartsAt)
		if page.Closed && state == admit.OnSale {
			state = admit.SalesEnded
		}
		page.TicketTypes = append(page.TicketTypes, ticketTypeView{
			ID: t.ID, Name: t.Name, Description: t.Description,
			Price: admit.FormatMoney(t.Price, ev.Currency), State: state,
			StateLabel: stateLabel(state, t, ev), Remaining: t.Remaining(),
		})
	}
	body, err := h.pages.render("event", page)
	if err != nil {
		return err
	}
	h.cache.Set(key, body, h.ttl)
	c.Response().Header().Set("X-Cache", "miss")
	return c.HTMLBlob(http.StatusOK, body)
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
