package console

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type orgsPage struct {
	Base          basePage
	Organizations []admit.OrganizationRole
}

// orgsShow lists the user's organizations, or goes straight to the only one.
func (h *Handler) orgsShow(c echo.Context) error {
	u := c.Get(userKey).(*admit.User)
	list, err := h.store.ListMemberships(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if len(list) == 1 {
		return c.Redirect(http.StatusSeeOther, "/console/"+list[0].Organization.Slug)
	}
	return h.html(c, http.StatusOK, "orgs", orgsPage{Base: h.base(c, ""), Organizations: list})
}

type eventRow struct {
	Event *admit.Event
	When  string
	Sales admit.EventSales
}

type eventsPage struct {
	Base   basePage
	Events []eventRow
}

// eventsList is the organization's home: its events, the coming ones
// first, each with what it has sold of its capacity.
func (h *Handler) eventsList(c echo.Context) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	events, err := h.store.ListEvents(ctx, m.org.ID)
	if err != nil {
		return err
	}
	sales, err := h.store.ListEventSales(ctx, m.org.ID)
	if err != nil {
		return err
	}
	admit.SortEventsByDate(events, time.Now())
	page := eventsPage{Base: h.base(c, "events")}
	for _, ev := range events {
		page.Events = append(page.Events, eventRow{Event: ev, When: formatTime(ev.StartsAt, ev.Location()), Sales: sales[ev.ID]})
	}
	return h.html(c, http.StatusOK, "events", page)
}
