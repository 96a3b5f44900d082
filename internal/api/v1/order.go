package v1

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/wire"
)

// newV1Order renders the order; lines and tickets appear when they were
// asked for (expand), so a list stays small unless the client wants more.
func (h *Handler) newV1Order(o *admit.OrderRecord, lines, tickets bool) wire.Order {
	out := wire.NewOrder(o.Order, h.checkout.BaseURL(), lines, false)
	if tickets {
		t := make([]wire.Ticket, 0, len(o.TicketRecords))
		for i := range o.TicketRecords {
			t = append(t, wire.NewTicket(&o.TicketRecords[i]))
		}
		out.Tickets = t
	}
	return out
}

// v1Expand reads expand=lines,tickets (or expand=lines&expand=tickets).
func v1Expand(c echo.Context) (lines, tickets bool, err error) {
	for _, v := range c.QueryParams()["expand"] {
		for _, part := range strings.Split(v, ",") {
			switch strings.TrimSpace(part) {
			case "lines":
				lines = true
			case "tickets":
				tickets = true
			case "":
			default:
				return false, false, admit.FieldError("expand", "expand takes lines, tickets or both (expand=lines,tickets).")
			}
		}
	}
	return lines, tickets, nil
}

// v1OrdersList lists the organization's orders, filtered by event, status
// and the time they last changed.
func (h *Handler) v1OrdersList(c echo.Context) error {
	p, err := v1Page(c, true)
	if err != nil {
		return err
	}
	q := admit.OrderQuery{Page: p}
	if q.WithLines, q.WithTickets, err = v1Expand(c); err != nil {
		return err
	}
	if v := c.QueryParam("event"); v != "" {
		if q.EventID, err = strconv.ParseInt(v, 10, 64); err != nil || q.EventID <= 0 {
			return admit.FieldError("event", "event must be an event id.")
		}
	}
	if v := c.QueryParam("status"); v != "" {
		q.Status = admit.OrderStatus(v)
		if !slices.Contains([]admit.OrderStatus{admit.OrderPending, admit.OrderPaid, admit.OrderCancelled, admit.OrderRefunded}, q.Status) {
			return admit.FieldError("status", "status must be pending, paid, cancelled or refunded.")
		}
	}
	orders, hasMore, err := h.v1.Store.ListOrdersPage(c.Request().Context(), v1Token(c).OrganizationID, q)
	if err != nil {
		return err
	}
	out := make([]wire.Order, 0, len(orders))
	for _, o := range orders {
		out = append(out, h.newV1Order(o, q.WithLines, q.WithTickets))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(o wire.Order) int64 { return o.ID }))
}

func (h *Handler) v1OrderShow(c echo.Context) error {
	id, err := v1ID(c, "order", "Order")
	if err != nil {
		return err
	}
	lines, tickets, err := v1Expand(c)
	if err != nil {
		return err
	}
	o, err := h.v1.Store.FindOrderRecord(c.Request().Context(), v1Token(c).OrganizationID, id, lines, tickets)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.newV1Order(o, lines, tickets))
}

// v1OrderJSON answers a change to an order with the whole order as it is
// now: lines and tickets included, since the caller usually needs them.
func (h *Handler) v1OrderJSON(c echo.Context, status int, orderID int64) error {
	o, err := h.v1.Store.FindOrderRecord(c.Request().Context(), v1Token(c).OrganizationID, orderID, true, true)
	if err != nil {
		return err
	}
	return c.JSON(status, h.newV1Order(o, true, true))
}

type v1OrderCreateRequest struct {
	EventID int64       `json:"event_id"`
	Buyer   wire.Person `json:"buyer"`
	Items   []struct {
		TicketTypeID int64 `json:"ticket_type_id"`
		Quantity     int   `json:"quantity"`
	} `json:"items"`
	Attendees []struct {
		Name    string           `json:"name"`
		Email   string           `json:"email"`
		Answers map[int64]string `json:"answers"`
	} `json:"attendees"`
	PaymentMethod string `json:"payment_method"`
	MarkPaid      bool   `json:"mark_paid"`
}

// v1OrderCreate records an order an organizer makes outside checkout:
// complimentary tickets, or an import from another system. It takes
// capacity exactly like a buyer's checkout, through a hold and the guarded
// ledger statements (without the per-buyer cap), so it can never oversell.
// Free orders are paid at once; priced ones are offline orders, pending
// unless mark_paid.
func (h *Handler) v1OrderCreate(c echo.Context) error {
	var req v1OrderCreateRequest
	if err := api.Decode(c, &req, api.Rules{Strict: true}); err != nil {
		return err
	}
	var p admit.Problems
	if req.EventID <= 0 {
		p.Add("event_id", "Name the event the order is for.")
	}
	if len(req.Items) == 0 {
		p.Add("items", "Order at least one ticket.")
	} else if len(req.Items) > 50 {
		p.Add("items", "At most 50 items per order.")
	}
	items := make([]admit.HoldItem, 0, len(req.Items))
	for i, it := range req.Items {
		if it.Quantity <= 0 {
			p.Add("items["+strconv.Itoa(i)+"].quantity", "Quantity must be at least 1.")
		}
		items = append(items, admit.HoldItem{TicketTypeID: it.TicketTypeID, Quantity: it.Quantity})
	}
	switch req.PaymentMethod {
	case "", admit.PaymentFree, admit.PaymentOffline:
	default:
		p.Add("payment_method", "Orders made through the API are free or offline (paid outside admit).")
	}
	if err := p.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	tok := v1Token(c)
	ev, err := h.v1.Store.FindEvent(ctx, tok.OrganizationID, req.EventID)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		return admit.FieldError("event_id", "No such event.")
	} else if err != nil {
		return err
	}
	attendees := make([]admit.Attendee, 0, len(req.Attendees))
	for _, a := range req.Attendees {
		attendees = append(attendees, admit.Attendee{Name: a.Name, Email: a.Email, Answers: a.Answers})
	}
	hold, err := h.checkout.Hold(ctx, ev, items, checkout.Client{})
	if err != nil {
		return err
	}
	placed, err := h.checkout.PlaceOrderFor(ctx, hold, admit.OrderRequest{BuyerName: req.Buyer.Name, BuyerEmail: req.Buyer.Email,
		Attendees: attendees, PaymentMethod: req.PaymentMethod})
	if err != nil {
		// Give the capacity back now rather than when the hold expires.
		if cerr := h.checkout.CancelHold(ctx, hold.ID); cerr != nil {
			h.logger.Warn("releasing the hold of a refused API order failed", "err", cerr)
		}
		return err
	}
	o := placed.Order
	h.v1Audit(c, "order.created", o.Reference, strconv.Itoa(hold.Quantity())+" tickets")
	if req.MarkPaid && o.Status == admit.OrderPending {
		if _, err := h.checkout.MarkPaidByOrganizer(ctx, tok.OrganizationID, o.ID); err != nil {
			return err
		}
		h.v1Audit(c, "order.marked_paid", o.Reference, "")
	}
	return h.v1OrderJSON(c, http.StatusCreated, o.ID)
}

// v1NoBody accepts the empty body (or {}) of an action that takes none.
func v1NoBody(c echo.Context) error {
	var none struct{}
	return api.Decode(c, &none, api.Rules{Strict: true, Optional: true})
}

// v1OrderCancel cancels a pending order, giving its tickets back to sale.
// Cancelling a cancelled order answers with it unchanged.
func (h *Handler) v1OrderCancel(c echo.Context) error {
	id, err := v1ID(c, "order", "Order")
	if err != nil {
		return err
	}
	if err := v1NoBody(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	org := v1Token(c).OrganizationID
	o, err := h.v1.Store.FindOrderRecord(ctx, org, id, false, false)
	if err != nil {
		return err
	}
	if o.Status == admit.OrderPending {
		if err := h.checkout.CancelOrder(ctx, org, id); err != nil {
			return err
		}
		if o, err = h.v1.Store.FindOrderRecord(ctx, org, id, false, false); err != nil {
			return err
		}
		if o.Status == admit.OrderCancelled {
			h.v1Audit(c, "order.cancelled", o.Reference, "")
		}
	}
	if o.Status != admit.OrderCancelled {
		return admit.Errorf(admit.ECONFLICT, "Order %s is %s: only pending orders can be cancelled (refund a paid one).", o.Reference, o.Status)
	}
	return h.v1OrderJSON(c, http.StatusOK, id)
}

// v1OrderMarkPaid records the offline payment of a pending order: its
// tickets become valid and the confirmation goes out. Marking a paid order
// paid answers with it unchanged.
func (h *Handler) v1OrderMarkPaid(c echo.Context) error {
	id, err := v1ID(c, "order", "Order")
	if err != nil {
		return err
	}
	if err := v1NoBody(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	org := v1Token(c).OrganizationID
	o, err := h.v1.Store.FindOrderRecord(ctx, org, id, false, false)
	if err != nil {
		return err
	}
	changed, err := h.checkout.MarkPaidByOrganizer(ctx, org, id)
	if err != nil {
		return err
	}
	if changed {
		h.v1Audit(c, "order.marked_paid", o.Reference, "")
	}
	return h.v1OrderJSON(c, http.StatusOK, id)
}

type v1Refund struct {
	ID       int64      `json:"id"`
	OrderID  int64      `json:"order_id"`
	Amount   int64      `json:"amount"`
	Currency string     `json:"currency"`
	Tickets  int        `json:"tickets"`
	Order    wire.Order `json:"order"`
}

// v1OrderRefund refunds some tickets of a paid order (ticket_ids) or all
// that are still valid (no body): they are voided, their capacity returns
// to sale, and the money goes back through the payment provider.
func (h *Handler) v1OrderRefund(c echo.Context) error {
	id, err := v1ID(c, "order", "Order")
	if err != nil {
		return err
	}
	var req struct {
		TicketIDs []int64 `json:"ticket_ids"`
		Reason    string  `json:"reason"`
	}
	if err := api.Decode(c, &req, api.Rules{Strict: true, Optional: true}); err != nil {
		return err
	}
	reason, err := admit.CheckRefundReason(req.Reason, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	org := v1Token(c).OrganizationID
	o, err := h.v1.Store.FindOrderRecord(ctx, org, id, false, true)
	if err != nil {
		return err
	}
	ids := req.TicketIDs
	if len(ids) == 0 {
		for _, t := range o.TicketRecords {
			if t.Status == admit.TicketValid {
				ids = append(ids, t.ID)
			}
		}
	} else {
		var p admit.Problems
		for i, tid := range ids {
			if !slices.ContainsFunc(o.TicketRecords, func(t admit.TicketRecord) bool { return t.ID == tid }) {
				p.Add("ticket_ids["+strconv.Itoa(i)+"]", "No such ticket in this order.")
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
	}
	if o.Status != admit.OrderPaid {
		return admit.Errorf(admit.ECONFLICT, "Only paid orders can be refunded; order %s is %s.", o.Reference, o.Status)
	}
	r, err := h.checkout.RefundTickets(ctx, org, id, ids, 0)
	if err != nil {
		return err
	}
	h.v1Audit(c, "order.refunded", o.Reference, admit.RefundAuditDetail(r.Tickets, r.Amount, o.Currency, reason))
	after, err := h.v1.Store.FindOrderRecord(ctx, org, id, true, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v1Refund{ID: r.ID, OrderID: id, Amount: r.Amount, Currency: o.Currency, Tickets: r.Tickets,
		Order: h.newV1Order(after, true, true)})
}
