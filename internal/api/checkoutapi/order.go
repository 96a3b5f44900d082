package checkoutapi

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/wire"
)

type orderRequest struct {
	Buyer struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"buyer"`
	Attendees     []admit.Attendee `json:"attendees"`
	PaymentMethod string           `json:"payment_method"`
}

// orderJSON is the order as its buyer sees it: no internal ids, but the
// access token and the ticket codes that are theirs. Integrators see the
// order as wire.Order.
type orderJSON struct {
	Reference  string           `json:"reference"`
	Token      string           `json:"token"`
	Status     string           `json:"status"`
	Buyer      admit.Attendee   `json:"buyer"`
	Total      int64            `json:"total"`
	Currency   string           `json:"currency"`
	Payment    string           `json:"payment_method"`
	PaymentURL string           `json:"payment_url,omitempty"`
	OrderURL   string           `json:"order_url"`
	CreatedAt  time.Time        `json:"created_at"`
	PaidAt     *time.Time       `json:"paid_at"`
	Lines      []wire.OrderLine `json:"lines"`
	Tickets    []ticketJSON     `json:"tickets"`
}

type ticketJSON struct {
	Code          string `json:"code"`
	TicketType    string `json:"ticket_type"`
	AttendeeName  string `json:"attendee_name"`
	AttendeeEmail string `json:"attendee_email"`
	Status        string `json:"status"`
}

func (h *Handler) newOrderJSON(o *admit.Order) orderJSON {
	out := orderJSON{
		Reference: o.Reference, Token: o.AccessToken, Status: string(o.Status),
		Buyer: admit.Attendee{Name: o.BuyerName, Email: o.BuyerEmail}, Total: o.Total, Currency: o.Currency,
		Payment: o.PaymentProvider, OrderURL: h.checkout.OrderURL(o), CreatedAt: o.CreatedAt.UTC(), PaidAt: wire.TimePtr(o.PaidAt),
		Lines: []wire.OrderLine{}, Tickets: []ticketJSON{},
	}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, wire.OrderLine{TicketTypeID: l.TicketTypeID, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	// Ticket codes admit people: they are shown only once the order is paid.
	if o.Status == admit.OrderPaid {
		for _, t := range o.Tickets {
			out.Tickets = append(out.Tickets, ticketJSON{Code: t.Code, TicketType: t.TicketType, AttendeeName: t.AttendeeName,
				AttendeeEmail: t.AttendeeEmail, Status: string(t.Status)})
		}
	}
	return out
}

// orderCreate turns a hold into an order. With an Idempotency-Key, the first
// response is stored and replayed for repeats; the same key with another
// body is 422; a repeat while the first still runs is 409 (or, when both
// land in one batch, the first's response). Without one, the hold itself
// makes the request idempotent: one order per hold.
func (h *Handler) orderCreate(c echo.Context) error {
	ctx := c.Request().Context()
	holdID := c.Param("hold")
	body, err := api.ReadBody(c)
	if err != nil {
		return err
	}
	var req orderRequest
	if err := api.DecodeBytes(body, &req); err != nil {
		return err
	}
	request := admit.OrderRequest{BuyerName: req.Buyer.Name, BuyerEmail: req.Buyer.Email, Attendees: req.Attendees, PaymentMethod: req.PaymentMethod}
	key := c.Request().Header.Get("Idempotency-Key")
	authorize := holdAuthorizer(c)
	if key == "" {
		k, err := h.checkout.PlaceOrderKeyed(ctx, holdID, request, nil, authorize)
		if err != nil {
			return err
		}
		status, resp := h.orderResponse(k.Placed)
		return c.JSONBlob(status, resp)
	}
	if len(key) > 255 || !api.Printable(key) {
		return admit.FieldError("Idempotency-Key", "The Idempotency-Key must be 1 to 255 printable characters.")
	}
	sum := sha256.Sum256(append([]byte(holdID+"\n"), body...))
	if request.PaymentMethod == admit.PaymentStripe {
		// The response names the hosted payment page, known only once
		// the provider answered: the key is claimed before, the response
		// stored after.
		return h.orderCreateClaimed(c, holdID, request, key, sum[:])
	}
	render := func(o *admit.Order, existing bool, err error) (int, []byte) {
		if err != nil {
			return api.ProblemBody(err)
		}
		return h.orderResponse(&checkout.Placed{Order: o, Existing: existing})
	}
	res, err := h.checkout.PlaceOrderKeyed(ctx, holdID, request, &admit.OrderKey{Scope: keyScope(holdID), Key: key, Hash: sum[:], Render: render}, authorize)
	switch {
	case res != nil && res.Replayed:
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return c.JSONBlob(res.Response.Status, res.Response.Body)
	case res != nil && res.Response != nil:
		return c.JSONBlob(res.Response.Status, res.Response.Body)
	case err != nil:
		return err
	}
	status, resp := h.orderResponse(res.Placed)
	return c.JSONBlob(status, resp)
}

// orderCreateClaimed places an order whose response is stored after the
// payment provider answered: the key is claimed first, and released if
// the request fails in a way the client may retry.
func (h *Handler) orderCreateClaimed(c echo.Context, holdID string, req admit.OrderRequest, key string, hash []byte) error {
	ctx := c.Request().Context()
	hd, err := h.findOwnHold(c)
	if err != nil {
		return err
	}
	k := admit.IdempotencyKey{OrganizationID: hd.OrganizationID, Scope: keyScope(holdID), Key: key}
	stored, err := h.store.BeginIdempotent(ctx, k, hash)
	if err != nil {
		return err
	}
	if stored != nil {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return c.JSONBlob(stored.Status, stored.Body)
	}
	var status int
	var resp []byte
	placed, err := h.checkout.PlaceOrder(ctx, holdID, req)
	if err != nil {
		status, resp = api.ProblemBody(err)
		if status >= 500 {
			server.LoggerFrom(ctx).Error("placing order failed", "err", err)
		}
	} else {
		status, resp = h.orderResponse(placed)
	}
	if status >= 500 {
		if err := h.store.AbandonIdempotent(context.WithoutCancel(ctx), k); err != nil {
			server.LoggerFrom(ctx).Error("releasing idempotency key failed", "err", err)
		}
	} else if err := h.store.FinishIdempotent(context.WithoutCancel(ctx), k, status, resp); err != nil {
		return err
	}
	return c.JSONBlob(status, resp)
}

// keyScope scopes a checkout Idempotency-Key to its hold, as Stripe scopes
// keys to the account that sent them: two buyers of one organization may
// pick the same key without meeting each other.
func keyScope(holdID string) string { return "hold:" + holdID }

// orderResponse is the order as the checkout API answers it: 201 for a new
// order, 200 for the one the hold had already become.
func (h *Handler) orderResponse(placed *checkout.Placed) (int, []byte) {
	out := h.newOrderJSON(placed.Order)
	out.PaymentURL = placed.RedirectURL
	b, err := json.Marshal(out)
	if err != nil {
		return api.ProblemBody(err)
	}
	if placed.Existing {
		return http.StatusOK, b
	}
	return http.StatusCreated, b
}

// orderShow returns the order to whoever has its private token.
func (h *Handler) orderShow(c echo.Context) error {
	o, err := h.store.FindOrderForBuyer(c.Request().Context(), c.Param("reference"), c.QueryParam("token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.newOrderJSON(o))
}
