package console

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// orderRefund refunds the checked tickets (or all valid ones): capacity
// returns to sale and, for card payments, the money goes back through the
// provider.
func (h *Handler) orderRefund(c echo.Context) error {
	o, _, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	form, err := c.FormParams()
	if err != nil {
		return admit.Errorf(admit.EINVALID, "The form could not be read.")
	}
	var ids []int64
	if form.Get("all") == "1" {
		for _, t := range o.Tickets {
			if t.Status == admit.TicketValid {
				ids = append(ids, t.ID)
			}
		}
	} else {
		for _, v := range form["ticket"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return admit.FieldError("ticket", "Choose tickets from the list.")
			}
			ids = append(ids, id)
		}
	}
	to := "/console/" + m.org.Slug + "/orders/" + strconv.FormatInt(o.ID, 10)
	if len(ids) == 0 {
		return h.redirectWithFlash(c, to, "Choose at least one ticket to refund.")
	}
	r, err := h.checkout.RefundTickets(c.Request().Context(), m.org.ID, o.ID, ids, m.user.ID)
	if err != nil {
		if admit.ErrorCode(err) == admit.ECONFLICT {
			return h.redirectWithFlash(c, to, admit.ErrorMessage(err))
		}
		return err
	}
	h.audit(c, "order.refunded", o.Reference, strconv.Itoa(r.Tickets)+" tickets, "+admit.FormatAmount(r.Amount, o.Currency))
	what := "1 ticket"
	if r.Tickets != 1 {
		what = strconv.Itoa(r.Tickets) + " tickets"
	}
	return h.redirectWithFlash(c, to, "Refunded "+what+" ("+admit.FormatAmount(r.Amount, o.Currency)+"). Back on sale.")
}

// orderResend queues the confirmation email again.
func (h *Handler) orderResend(c echo.Context) error {
	o, _, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if err := h.store.QueueConfirmation(c.Request().Context(), m.org.ID, o.ID); err != nil {
		return err
	}
	h.audit(c, "order.confirmation_resent", o.Reference, "")
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/orders/"+strconv.FormatInt(o.ID, 10), "The confirmation will be sent again to "+o.BuyerEmail+".")
}

// orderAttendees changes attendee names and emails on the order's tickets.
func (h *Handler) orderAttendees(c echo.Context) error {
	o, _, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	ctx := c.Request().Context()
	var problems admit.Problems
	for _, t := range o.Tickets {
		if t.Status == admit.TicketVoid {
			continue
		}
		n := strconv.FormatInt(t.ID, 10)
		if _, ok := c.Request().PostForm["name_"+n]; !ok {
			continue
		}
		a := admit.Attendee{Name: c.FormValue("name_" + n), Email: c.FormValue("email_" + n)}
		req := admit.OrderRequest{BuyerName: "x", BuyerEmail: "x@example.com", Attendees: []admit.Attendee{a}}
		req.Normalize()
		if err := req.Validate(1); err != nil {
			problems.Add("name_"+n, admit.ErrorMessage(err))
			continue
		}
		if a := req.Attendees[0]; a.Name == t.AttendeeName && a.Email == t.AttendeeEmail {
			continue
		}
		if err := h.store.RenameAttendee(ctx, m.org.ID, o.ID, t.ID, req.Attendees[0]); err != nil {
			return err
		}
		h.audit(c, "ticket.renamed", o.Reference, req.Attendees[0].Name)
	}
	to := "/console/" + m.org.Slug + "/orders/" + strconv.FormatInt(o.ID, 10)
	if len(problems) > 0 {
		return h.redirectWithFlash(c, to, "Not saved: "+problems[0].Message)
	}
	return h.redirectWithFlash(c, to, "Attendees saved.")
}
