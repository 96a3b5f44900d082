package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
)

// Queue is the waiting room's store (internal/redis.WaitingRoom).
type Queue interface {
	Visit(ctx context.Context, eventID int64, visitor string, now, opens time.Time, ratePerMinute int) (admit.Place, error)
}

type queuePage struct {
	Base        basePage
	Event       *admit.Event
	EventURL    string
	Position    int64
	Waiting     int64
	ETA         string
	OpensAt     string
	OpensISO    string
	Unavailable bool
}

// queueShow is the waiting room: the visitor's place, the estimated wait,
// refreshing itself every few seconds (no JavaScript needed). At the front
// the visitor gets a pass, bound to their buyer cookie, and goes on to the
// event page. If the queue cannot be read (Redis down) nobody is let
// through: the page says so and keeps refreshing.
func (h *Handler) queueShow(c echo.Context) error {
	orgSlug, eventSlug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(orgSlug) || !admit.ValidSlug(eventSlug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	ev, err := findEvent(h.events, orgSlug+"/"+eventSlug, h.now(), func() (*admit.Event, error) {
		return h.store.FindPublicEvent(c.Request().Context(), orgSlug, eventSlug)
	})
	if err != nil {
		return err
	}
	// A room that engaged on its own is the same queue: it opened when it
	// engaged and lets visitors through at the automatic rate.
	ev = h.checkout.Room(c.Request().Context(), ev)
	eventURL := "/e/" + orgSlug + "/" + eventSlug
	if !ev.WaitingRoom {
		return c.Redirect(http.StatusSeeOther, eventURL)
	}
	visitor := buyerID(c)
	if ck, err := c.Cookie(checkout.PassCookie(ev.ID)); err == nil && h.checkout.Admitted(c.Request().Context(), ev, visitor, ck.Value) {
		return c.Redirect(http.StatusSeeOther, eventURL)
	}
	now := h.now()
	page := queuePage{Base: newBase(c), Event: ev, EventURL: eventURL}
	page.Base.Home = eventURL
	if ev.WaitingRoomOpensAt.After(now) {
		page.OpensAt = ev.WaitingRoomOpensAt.In(ev.Location()).Format("Monday 2 January, 15:04") + " (" + ev.TimeZone + ")"
		page.OpensISO = ev.WaitingRoomOpensAt.UTC().Format(time.RFC3339)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Refresh", "10")
	rate := max(ev.WaitingRoomRate, 1)
	place, err := h.queue.Visit(c.Request().Context(), ev.ID, visitor, now, ev.WaitingRoomOpensAt, max(ev.WaitingRoomRate, 1))
	if err != nil {
		h.logger.Warn("waiting room unavailable; admitting nobody", "event", ev.ID, "err", err)
		page.Unavailable = true
		c.Response().Header().Set("Retry-After", "10")
		return h.html(c, http.StatusServiceUnavailable, "queue", page)
	}
	if place.Through() && page.OpensAt == "" {
		c.SetCookie(&http.Cookie{Name: checkout.PassCookie(ev.ID), Value: h.checkout.IssuePass(ev, visitor), Path: "/",
			MaxAge: int(admit.PassLifetime / time.Second), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
		return c.Redirect(http.StatusSeeOther, eventURL+"?through=1")
	}
	page.Position = place.Ahead() + 1
	page.Waiting = place.Size
	minutes := float64(place.Ahead()) / float64(rate)
	// Come back when your turn is due, if that is within ten seconds: the
	// visitors at the front then arrive spread as the room lets them
	// through, not all together on the next ten-second tick.
	wait := time.Until(ev.WaitingRoomOpensAt)
	if wait < 0 {
		wait = 0
	}
	wait += time.Duration(float64(place.Ahead()+1) / float64(rate) * float64(time.Minute))
	c.Response().Header().Set("Refresh", strconv.Itoa(min(max(int(wait/time.Second)+1, 1), 10)))
	switch {
	case minutes < 1:
		page.ETA = "less than a minute"
	default:
		page.ETA = "about " + strconv.Itoa(int(minutes+0.5)) + " minutes"
	}
	return h.html(c, http.StatusOK, "queue", page)
}

// admitted reports whether the request may see the event's tickets: always
// without a waiting room, otherwise with a pass (see checkout.Admitted; a
// visitor without one counts towards engaging the room on its own).
func (h *Handler) admitted(c echo.Context, ev *admit.Event) bool {
	var pass string
	if ck, err := c.Cookie(checkout.PassCookie(ev.ID)); err == nil {
		pass = ck.Value
	}
	return h.checkout.Admitted(c.Request().Context(), ev, buyerID(c), pass)
}
