package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// attendeesUpdate lets the buyer change the names on their tickets.
func (h *Handler) attendeesUpdate(c echo.Context) error {
	o, ev, org, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	var problems admit.Problems
	type change struct {
		id int64
		a  admit.Attendee
	}
	var changes []change
	for _, t := range o.Tickets {
		if t.Status == admit.TicketVoid {
			continue
		}
		n := strconv.FormatInt(t.ID, 10)
		a := admit.Attendee{Name: strings.TrimSpace(c.FormValue("name_" + n)), Email: strings.TrimSpace(c.FormValue("email_" + n))}
		req := admit.OrderRequest{BuyerName: o.BuyerName, BuyerEmail: o.BuyerEmail, Attendees: []admit.Attendee{a}}
		if err := req.Validate(1); err != nil {
			if de, ok := err.(*admit.Error); ok {
				for _, p := range de.Problems {
					field := strings.Replace(p.Field, "attendees[0].", "", 1) + "_" + n
					problems.Add(field, p.Message)
				}
			}
			continue
		}
		if a.Name != t.AttendeeName || a.Email != t.AttendeeEmail {
			changes = append(changes, change{t.ID, a})
		}
	}
	if len(problems) > 0 {
		page, err := h.newOrderPage(c, o, ev, org, true)
		if err != nil {
			return err
		}
		for i := range page.Tickets {
			n := strconv.FormatInt(page.Tickets[i].ID, 10)
			page.Tickets[i].AttendeeName = c.FormValue("name_" + n)
			page.Tickets[i].AttendeeEmail = c.FormValue("email_" + n)
		}
		page.Problems = problems
		return h.html(c, http.StatusUnprocessableEntity, "order", page)
	}
	for _, ch := range changes {
		if err := h.store.RenameAttendee(c.Request().Context(), o.OrganizationID, o.ID, ch.id, ch.a); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/o/"+url.PathEscape(o.Reference)+"?token="+url.QueryEscape(o.AccessToken)+"&saved=1")
}
