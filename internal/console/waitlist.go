package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type waitlistPage struct {
	Base    basePage
	Event   *admit.Event
	Entries []waitlistRow
}

type waitlistRow struct {
	Entry     admit.WaitlistEntry
	Joined    string
	OfferEnds string
}

// waitlistShow lists the people waiting for sold-out tickets, first come
// first, with the state of their offers.
func (h *Handler) waitlistShow(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	entries, err := h.store.ListWaitlist(c.Request().Context(), m.org.ID, ev.ID)
	if err != nil {
		return err
	}
	page := waitlistPage{Base: h.base(c, "events"), Event: ev}
	for _, e := range entries {
		page.Entries = append(page.Entries, waitlistRow{Entry: e, OfferEnds: formatTime(e.OfferEnds, ev.Location())})
	}
	return h.html(c, http.StatusOK, "waitlist", page)
}

// waitlistOffer sets a ticket aside for the person and emails them a link
// that holds it for the chosen number of hours.
func (h *Handler) waitlistOffer(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	id, err := strconv.ParseInt(c.Param("entry"), 10, 64)
	if err != nil {
		return admit.Errorf(admit.ENOTFOUND, "Waiting list entry not found.")
	}
	hours, err := strconv.Atoi(c.FormValue("hours"))
	if err != nil || hours < 1 || hours > 336 {
		hours = 48
	}
	to := "/console/" + m.org.Slug + "/events/" + strconv.FormatInt(ev.ID, 10) + "/waitlist"
	e, err := h.checkout.OfferWaitlist(c.Request().Context(), m.org.ID, id, time.Duration(hours)*time.Hour)
	switch admit.ErrorCode(err) {
	case "":
	case admit.ESOLDOUT, admit.ECONFLICT:
		return h.redirectWithFlash(c, to, "No offer sent: "+admit.ErrorMessage(err))
	default:
		return err
	}
	h.audit(c, "waitlist.offered", e.Email, strconv.Itoa(hours)+" hours")
	return h.redirectWithFlash(c, to, "Offer sent to "+e.Email+"; the ticket is held for "+strconv.Itoa(hours)+" hours.")
}
