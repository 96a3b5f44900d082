package checkoutapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/checkout"
)

type holdRequest struct {
	DiscountCode string `json:"discount_code"`
	Items        []struct {
		TicketTypeID int64 `json:"ticket_type_id"`
		Quantity     int   `json:"quantity"`
	} `json:"items"`
}

type holdJSON struct {
	ID string `json:"id"`
	// Secret proves the hold is the client's: returned once, when the hold
	// is made, and sent back as the Admit-Hold-Secret header.
	Secret           string         `json:"secret,omitempty"`
	Status           string         `json:"status"`
	ExpiresAt        time.Time      `json:"expires_at"`
	ExpiresInSeconds int            `json:"expires_in_seconds"`
	Items            []holdItemJSON `json:"items"`
}

type holdItemJSON struct {
	TicketTypeID int64 `json:"ticket_type_id"`
	Quantity     int   `json:"quantity"`
}

func newHoldJSON(hd *admit.Hold) holdJSON {
	out := holdJSON{ID: hd.ID, Secret: hd.Secret, Status: string(hd.Status), ExpiresAt: hd.ExpiresAt.UTC(), Items: []holdItemJSON{}}
	if hd.Live() {
		out.ExpiresInSeconds = int(hd.ExpiresIn / time.Second)
	} else if hd.Status == admit.HoldActive {
		out.Status = "expired"
	}
	for _, it := range hd.Items {
		out.Items = append(out.Items, holdItemJSON{TicketTypeID: it.TicketTypeID, Quantity: it.Quantity})
	}
	return out
}

// holdCreate holds tickets for the buyer: 201 with the hold, 409 sold_out
// naming the type that ran short, 422 for invalid quantities.
func (h *Handler) holdCreate(c echo.Context) error {
	org, slug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(org) || !admit.ValidSlug(slug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	var req holdRequest
	if err := api.Decode(c, &req, api.Rules{}); err != nil {
		return err
	}
	if len(req.Items) == 0 {
		return admit.FieldError("items", "Choose at least one ticket.")
	}
	if len(req.Items) > 50 {
		return admit.FieldError("items", "At most 50 items per hold.")
	}
	ctx := c.Request().Context()
	ev, err := h.store.CachedPublicEvent(ctx, org, slug)
	if err != nil {
		return err
	}
	client := clientOf(c)
	// Asked for every event, not only those whose organizer turned the
	// room on: it also engages on its own when arrivals exceed what the
	// system admits.
	pass := c.Request().Header.Get("Admit-Pass")
	if ck, err := c.Cookie(checkout.PassCookie(ev.ID)); err == nil && pass == "" {
		pass = ck.Value
	}
	if !h.checkout.Admitted(ctx, ev, client.Key, pass) {
		return checkout.ErrWaitingRoom("/e/" + org + "/" + slug + "/queue")
	}
	items := make([]admit.HoldItem, 0, len(req.Items))
	var p admit.Problems
	for i, it := range req.Items {
		if it.Quantity <= 0 {
			p.Add("items["+strconv.Itoa(i)+"].quantity", "Quantity must be at least 1.")
		}
		items = append(items, admit.HoldItem{TicketTypeID: it.TicketTypeID, Quantity: it.Quantity})
	}
	if err := p.Err(); err != nil {
		return err
	}
	hd, err := h.codes.HoldWithCode(ctx, ev, items, client, req.DiscountCode)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, newHoldJSON(hd))
}

// holdShow returns the hold and the time it has left.
func (h *Handler) holdShow(c echo.Context) error {
	hd, err := h.findOwnHold(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newHoldJSON(hd))
}

// holdDelete releases the hold now, giving its tickets back.
func (h *Handler) holdDelete(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := h.findOwnHold(c); err != nil {
		return err
	}
	if err := h.checkout.CancelHold(ctx, c.Param("hold")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// HoldSecretHeader carries a hold's secret on the requests that act on it.
const HoldSecretHeader = "Admit-Hold-Secret"

// holdAuthorizer says whether the request may act on a hold: it carries the
// hold's secret, or the cookie of the buyer who made it.
func holdAuthorizer(c echo.Context) func(*admit.Hold) bool {
	secret, client := c.Request().Header.Get(HoldSecretHeader), clientOf(c).Key
	return func(hd *admit.Hold) bool { return hd.AnswersTo(secret, client) }
}

// findOwnHold returns the hold of the URL if the request may act on it;
// anyone else is told it does not exist.
func (h *Handler) findOwnHold(c echo.Context) (*admit.Hold, error) {
	hd, err := h.store.FindHold(c.Request().Context(), c.Param("hold"))
	if err != nil {
		return nil, err
	}
	if !holdAuthorizer(c)(hd) {
		return nil, admit.Errorf(admit.ENOTFOUND, "This checkout does not exist. Start again from the event page.")
	}
	return hd, nil
}
