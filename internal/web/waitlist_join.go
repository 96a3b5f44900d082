package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// waitlistJoin puts the visitor on the waiting list of a sold-out ticket
// type; the organizer offers freed tickets from the console.
func (h *Handler) waitlistJoin(c echo.Context) error {
	orgSlug, eventSlug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(orgSlug) || !admit.ValidSlug(eventSlug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	ctx := c.Request().Context()
	ev, err := h.store.FindPublicEvent(ctx, orgSlug, eventSlug)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(c.FormValue("waitlist_name"))
	mail := strings.TrimSpace(c.FormValue("waitlist_email"))
	typeID, _ := strconv.ParseInt(c.FormValue("waitlist_ticket_type"), 10, 64)
	var p admit.Problems
	req := admit.OrderRequest{BuyerName: name, BuyerEmail: mail, Attendees: []admit.Attendee{{Name: name}}}
	if err := req.Validate(1); err != nil {
		for _, pr := range err.(*admit.Error).Problems {
			p.Add(strings.Replace(pr.Field, "buyer_", "waitlist_", 1), pr.Message)
		}
	}
	if len(p) == 0 {
		err := h.store.JoinWaitlist(ctx, &admit.WaitlistEntry{OrganizationID: ev.OrganizationID, EventID: ev.ID, TicketTypeID: typeID, Name: name, Email: mail})
		if admit.ErrorCode(err) == admit.EINVALID {
			p.Add("waitlist_ticket_type", admit.ErrorMessage(err))
		} else if err != nil {
			return err
		}
	}
	page, err := h.eventPageData(c, orgSlug, ev, nil, nil, "", "")
	if err != nil {
		return err
	}
	page.WaitlistName, page.WaitlistEmail, page.WaitlistProblems = name, mail, p
	status := http.StatusOK
	if len(p) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		page.Notice = "You are on the waiting list. If a ticket becomes free, we will email " + mail + " a link to buy it."
	}
	body, err := h.pages.Render("event", page)
	if err != nil {
		return err
	}
	return h.htmlWithToken(c, status, body)
}
