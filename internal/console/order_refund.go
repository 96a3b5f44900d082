package console

import (
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// orderRefund refunds the checked tickets (or all valid ones): capacity
// returns to sale and, for card payments, the money goes back through the
// provider. The first post only asks for confirmation, naming the tickets
// and the amount, and for a reason; the refund happens when that
// confirmation comes back with one, and the reason goes to the audit log.
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
	all := form.Get("all") == "1"
	var ids []int64
	if all {
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
	reason, reasonErr := admit.CheckRefundReason(form.Get("reason"), true)
	if !confirmed(c) || reasonErr != nil {
		p := refundConfirmation(o, ids, all, to)
		p.Reason = form.Get("reason")
		if confirmed(c) {
			p.ReasonProblem = admit.ErrorMessage(reasonErr)
		}
		if len(p.Items) == 0 {
			return h.redirectWithFlash(c, to, "These tickets are already refunded.")
		}
		return h.askConfirmation(c, p)
	}
	r, err := h.checkout.RefundTickets(c.Request().Context(), m.org.ID, o.ID, ids, m.user.ID)
	if err != nil {
		if admit.ErrorCode(err) == admit.ECONFLICT {
			return h.redirectWithFlash(c, to, admit.ErrorMessage(err))
		}
		return err
	}
	h.audit(c, "order.refunded", o.Reference, admit.RefundAuditDetail(r.Tickets, r.Amount, o.Currency, reason))
	return h.redirectWithFlash(c, to, "Refunded "+count(r.Tickets, "ticket", "tickets")+" ("+admit.FormatAmount(r.Amount, o.Currency)+"). Back on sale.")
}

// refundConfirmation names what refunding tickets ids of o does: which
// tickets, how much money goes back and how.
func refundConfirmation(o *admit.Order, ids []int64, all bool, back string) confirmPage {
	price := map[int64]int64{}
	for _, l := range o.Lines {
		price[l.TicketTypeID] = l.UnitPrice
	}
	p := confirmPage{Base: basePage{Active: "orders"}, Action: back + "/refund", Back: back, BackLabel: "Keep the tickets", AskReason: true}
	var amount int64
	for _, t := range o.Tickets {
		if t.Status != admit.TicketValid || !slices.Contains(ids, t.ID) {
			continue
		}
		amount += price[t.TicketTypeID]
		p.Items = append(p.Items, t.AttendeeName+" · "+t.TicketType+" · "+admit.FormatAmount(price[t.TicketTypeID], o.Currency))
		if !all {
			p.Hidden = append(p.Hidden, hiddenField{"ticket", strconv.FormatInt(t.ID, 10)})
		}
	}
	if all {
		p.Hidden = append(p.Hidden, hiddenField{"all", "1"})
	}
	total := admit.FormatAmount(amount, o.Currency)
	what := count(len(p.Items), "ticket", "tickets")
	if all {
		p.Title = "Refund order " + o.Reference
		p.Lead = "Refund the whole order: " + what + " become void and " + total + " goes back to " + o.BuyerName + "."
	} else {
		p.Title = "Refund " + what + " of order " + o.Reference
		become := "they become"
		if len(p.Items) == 1 {
			become = "it becomes"
		}
		p.Lead = "Refund " + what + ": " + become + " void and " + total + " goes back to " + o.BuyerName + "."
	}
	switch o.PaymentProvider {
	case admit.PaymentOffline:
		p.Notes = append(p.Notes, "The order was paid offline: pay the "+total+" back by hand.")
	case admit.PaymentFree:
		p.Notes = append(p.Notes, "The order was free: no money moves.")
	default:
		p.Notes = append(p.Notes, "The money goes back through "+o.PaymentProvider+" to the card that paid.")
	}
	p.Notes = append(p.Notes, "The tickets go back on sale and the buyer is emailed. This cannot be undone.")
	p.Button = "Refund " + total
	return p
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
