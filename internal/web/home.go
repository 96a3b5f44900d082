package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// listedEvent is one line of a public list of events.
type listedEvent struct {
	Name, URL, When, Venue, Organizer string
	StartsISO                         string
}

type homePage struct {
	Base   basePage
	Events []listedEvent
}

type organizationPage struct {
	Base         basePage
	Organization *admit.Organization
	Events       []listedEvent
}

func listed(ev *admit.Event, org *admit.Organization) listedEvent {
	return listedEvent{Name: ev.Name, URL: "/e/" + org.Slug + "/" + ev.Slug, When: formatWhen(ev) + " (" + ev.TimeZone + ")",
		Venue: ev.Venue, Organizer: org.Name, StartsISO: ev.StartsAt.UTC().Format(time.RFC3339)}
}

// home is the start page: the public events still to come, of every
// organization, soonest first.
func (h *Handler) home(c echo.Context) error {
	events, err := h.store.ListUpcomingPublicEvents(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	page := homePage{Base: newBase(c)}
	page.Base.Meta = pageMeta{Title: "Admit", Description: "Tickets for upcoming events."}
	for _, pe := range events {
		page.Events = append(page.Events, listed(pe.Event, pe.Organization))
	}
	c.Response().Header().Set("Cache-Control", privatePage)
	return h.html(c, http.StatusOK, "home", page)
}

// organizationShow lists an organization's public events still to come:
// where the header of its event pages leads.
func (h *Handler) organizationShow(c echo.Context) error {
	slug := c.Param("org")
	if !admit.ValidSlug(slug) {
		return admit.Errorf(admit.ENOTFOUND, "Organization not found.")
	}
	org, events, err := h.store.ListPublicEvents(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	page := organizationPage{Base: newBase(c), Organization: org}
	page.Base.Home = "/e/" + org.Slug
	page.Base.Meta = pageMeta{Title: org.Name, Description: "Upcoming events by " + org.Name + "."}
	for _, ev := range events {
		page.Events = append(page.Events, listed(ev, org))
	}
	c.Response().Header().Set("Cache-Control", privatePage)
	return h.html(c, http.StatusOK, "organization", page)
}
