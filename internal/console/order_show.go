package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type orderPage struct {
	Base     basePage
	Order    *admit.Order
	Event    *admit.Event
	Total    string
	Lines    []lineRow
	Created  string
	Paid     string
	Expires  string
	Refunded string
	Discount string
	Refunds  []refundRow
	// BuyerURL is the buyer's own page of the order, as their email links it.
	BuyerURL string
	Timeline []timelineRow
	Note     string
	// NoteProblem says what is wrong with a note that was not saved.
	NoteProblem string
}

type timelineRow struct {
	admit.OrderEvent
	When string
}

type refundRow struct {
	Amount, Provider, Ref string
	Tickets               int
}

type lineRow struct {
	Name     string
	Quantity int
	Unit     string
	Amount   string
}

func (h *Handler) loadOrder(c echo.Context) (*admit.Order, *admit.Event, error) {
	m := currentMember(c)
	id, err := strconv.ParseInt(c.Param("order"), 10, 64)
	if err != nil {
		return nil, nil, admit.Errorf(admit.ENOTFOUND, "Order not found.")
	}
	ctx := c.Request().Context()
	o, err := h.store.FindOrder(ctx, m.org.ID, id)
	if err != nil {
		return nil, nil, err
	}
	ev, err := h.store.FindEvent(ctx, m.org.ID, o.EventID)
	if err != nil {
		return nil, nil, err
	}
	return o, ev, nil
}

// orderShow shows one order with its lines, tickets and payment.
func (h *Handler) orderShow(c echo.Context) error {
	o, ev, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	return h.orderPage(c, http.StatusOK, o, ev, "", "")
}

// orderPage renders the order; note and problem are a note that was not
// saved and why.
func (h *Handler) orderPage(c echo.Context, status int, o *admit.Order, ev *admit.Event, note, problem string) error {
	loc := ev.Location()
	page := orderPage{Base: h.base(c, "orders"), Order: o, Event: ev, Total: admit.FormatMoney(o.Total, o.Currency),
		Created: formatTime(o.CreatedAt, loc), Paid: formatTime(o.PaidAt, loc), Expires: formatTime(o.ExpiresAt, loc)}
	if o.DiscountTotal > 0 {
		page.Discount = "−" + admit.FormatAmount(o.DiscountTotal, o.Currency)
	}
	if o.RefundedTotal > 0 {
		page.Refunded = admit.FormatAmount(o.RefundedTotal, o.Currency)
	}
	refunds, err := h.store.ListRefunds(c.Request().Context(), currentMember(c).org.ID, o.ID)
	if err != nil {
		return err
	}
	for _, r := range refunds {
		page.Refunds = append(page.Refunds, refundRow{Amount: admit.FormatAmount(r.Amount, o.Currency), Provider: r.Provider, Ref: r.ProviderRef, Tickets: r.Tickets})
	}
	for _, l := range o.Lines {
		page.Lines = append(page.Lines, lineRow{Name: l.Name, Quantity: l.Quantity, Unit: admit.FormatMoney(l.UnitPrice, o.Currency),
			Amount: admit.FormatMoney(l.UnitPrice*int64(l.Quantity), o.Currency)})
	}
	page.BuyerURL = "/o/" + url.PathEscape(o.Reference) + "?token=" + url.QueryEscape(o.AccessToken)
	timeline, err := h.store.OrderTimeline(c.Request().Context(), currentMember(c).org.ID, o)
	if err != nil {
		return err
	}
	for _, e := range timeline {
		page.Timeline = append(page.Timeline, timelineRow{OrderEvent: e, When: formatTime(e.At, loc)})
	}
	page.Note, page.NoteProblem = note, problem
	return h.html(c, status, "order", page)
}

// orderNote keeps an organizer's note on the order, on its timeline.
func (h *Handler) orderNote(c echo.Context) error {
	o, ev, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	body, err := admit.CheckOrderNote(c.FormValue("note"))
	if err != nil {
		return h.orderPage(c, http.StatusUnprocessableEntity, o, ev, c.FormValue("note"), admit.ErrorMessage(err))
	}
	if err := h.store.AddOrderNote(c.Request().Context(), m.org.ID, o.ID, m.user.ID, body); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/orders/"+strconv.FormatInt(o.ID, 10)+"#timeline", "Note added.")
}

// orderMarkPaid records an offline payment: the order's tickets are issued
// and its confirmation queued, through the same guarded transition a
// payment provider uses.
func (h *Handler) orderMarkPaid(c echo.Context) error {
	o, _, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	changed, err := h.checkout.MarkPaidByOrganizer(c.Request().Context(), m.org.ID, o.ID)
	if err != nil {
		return err
	}
	to := "/console/" + m.org.Slug + "/orders/" + strconv.FormatInt(o.ID, 10)
	if !changed {
		return h.redirectWithFlash(c, to, "Order "+o.Reference+" was already paid.")
	}
	h.audit(c, "order.marked_paid", o.Reference, "")
	return h.redirectWithFlash(c, to, "Order "+o.Reference+" is marked paid; its tickets are issued.")
}

// orderCancel cancels a pending order and returns its tickets to sale.
func (h *Handler) orderCancel(c echo.Context) error {
	o, _, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if o.Status != admit.OrderPending {
		return admit.Errorf(admit.ECONFLICT, "Only pending orders can be cancelled here; a paid order is refunded instead.")
	}
	back := "/console/" + m.org.Slug + "/orders/" + strconv.FormatInt(o.ID, 10)
	if !confirmed(c) {
		p := confirmPage{Base: basePage{Active: "orders"}, Title: "Cancel order " + o.Reference, Action: back + "/cancel",
			Lead: "Cancel the unpaid order of " + o.BuyerName + " for " + admit.FormatAmount(o.Total, o.Currency) + ": its " +
				count(len(o.Tickets), "ticket goes", "tickets go") + " back on sale.",
			Notes:  []string{"The buyer is told by email that the order is cancelled. This cannot be undone: to come back, they order again."},
			Button: "Cancel order", Back: back, BackLabel: "Keep the order"}
		for _, t := range o.Tickets {
			p.Items = append(p.Items, t.AttendeeName+" · "+t.TicketType)
		}
		return h.askConfirmation(c, p)
	}
	if err := h.checkout.CancelOrder(c.Request().Context(), m.org.ID, o.ID); err != nil {
		return err
	}
	h.audit(c, "order.cancelled", o.Reference, "")
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/orders/"+strconv.FormatInt(o.ID, 10), "Order "+o.Reference+" is cancelled; its tickets are back on sale.")
}
