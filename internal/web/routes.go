package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/server"
)

const (
	csrfContextKey = server.CSRFContextKey
	buyerCookie    = "admit_buyer"
)

// Register adds every route of the web surface to e.
func (h *Handler) Register(e *echo.Echo) {
	static := http.StripPrefix("/static/", http.FileServer(staticFS()))
	// Static files carry no token: any cache, a CDN included, may keep
	// them for an hour and revalidate them by ETag.
	e.GET("/static/*", echo.WrapHandler(static), cacheFor(time.Hour), withETag(staticETags()))

	// The middleware goes on each route, not on a group: a group without a
	// prefix would catch every unmatched path of the server, so a wrong
	// method on the JSON API would meet the pages' CSRF check (403) instead
	// of its own 405.
	pages := []echo.MiddlewareFunc{server.UTF8Forms, server.CSRF(h.secure), h.identifyBuyer}
	e.GET("/", h.home, pages...)
	e.GET("/e/:org", h.organizationShow, pages...)
	e.GET("/e/:org/:event", h.eventShow, pages...)
	e.POST("/e/:org/:event/hold", h.holdCreate, append(pages, h.measure("hold"))...)
	e.POST("/e/:org/:event/waitlist", h.waitlistJoin, pages...)
	e.GET("/e/:org/:event/queue", h.queueShow, pages...)
	e.GET("/checkout/:hold", h.checkoutShow, pages...)
	e.POST("/checkout/:hold", h.orderCreate, append(pages, h.measure("order"))...)
	e.POST("/checkout/:hold/cancel", h.holdCancel, pages...)
	e.GET("/o/:reference", h.orderShow, pages...)
	e.POST("/o/:reference/attendees", h.attendeesUpdate, pages...)
	e.GET("/o/:reference/tickets", h.ticketsPrint, pages...)
	e.GET("/o/:reference/tickets.pdf", h.ticketsPDF, pages...)
	e.GET("/o/:reference/calendar.ics", h.orderCalendar, pages...)
}

// identifyBuyer gives every visitor a random buyer id in a cookie: the
// per-buyer hold cap counts by it, and a checkout is bound to it.
func (h *Handler) identifyBuyer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(buyerCookie); err != nil || len(ck.Value) != 26 {
			id := admit.NewToken(16)
			c.SetCookie(&http.Cookie{Name: buyerCookie, Value: id, Path: "/", MaxAge: 30 * 86400,
				HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
			c.Set(buyerCookie, id)
		} else {
			c.Set(buyerCookie, ck.Value)
		}
		return next(c)
	}
}

func buyerID(c echo.Context) string {
	id, _ := c.Get(buyerCookie).(string)
	return id
}

// buyer identifies the visitor to the limit on wrong discount codes, as
// the holds do for their cap: the buyer cookie, and the address as limits
// count it (an IPv6 address by its /64).
func buyer(c echo.Context) checkout.Client {
	return checkout.Client{Key: buyerID(c), IP: admit.AddressKey(c.RealIP())}
}

func cacheFor(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "public, max-age="+itoa(int(d/time.Second)))
			return next(c)
		}
	}
}
