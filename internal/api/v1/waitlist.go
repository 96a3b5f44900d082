package v1

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/wire"
)

// v1WaitlistStore is what the waiting-list routes need from storage.
type v1WaitlistStore interface {
	ListWaitlist(ctx context.Context, orgID, eventID int64) ([]admit.WaitlistEntry, error)
}

// v1WaitlistList lists the event's waiting list, first come first, with
// the state of the offer made to each person: null (none yet), open,
// accepted or expired.
func (h *Handler) v1WaitlistList(c echo.Context) error {
	p, err := v1Page(c, false)
	if err != nil {
		return err
	}
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	list, err := h.v1.Store.ListWaitlist(c.Request().Context(), e.OrganizationID, e.ID)
	if err != nil {
		return err
	}
	page, hasMore := pageInMemory(list, p, func(w admit.WaitlistEntry) int64 { return w.ID })
	out := make([]wire.WaitlistEntry, 0, len(page))
	for i := range page {
		out = append(out, wire.NewWaitlistEntry(&page[i]))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(w wire.WaitlistEntry) int64 { return w.ID }))
}

// v1WaitlistOffer sets a ticket aside for the waiting person for hours (48
// unless given, at most two weeks) and emails them the link. An entry with
// an open or accepted offer, or a ticket type without capacity, is 409.
func (h *Handler) v1WaitlistOffer(c echo.Context) error {
	req := struct {
		Hours *int `json:"hours"`
	}{}
	if err := api.Decode(c, &req, api.Rules{Strict: true, Optional: true}); err != nil {
		return err
	}
	hours := 48
	if req.Hours != nil {
		hours = *req.Hours
		if hours < 1 || hours > 336 {
			return admit.FieldError("hours", "hours must be a whole number from 1 to 336 (two weeks).")
		}
	}
	id, err := v1ID(c, "entry", "Waiting list entry")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	orgID := v1Token(c).OrganizationID
	offered, err := h.checkout.OfferWaitlist(ctx, orgID, id, time.Duration(hours)*time.Hour)
	if err != nil {
		return err
	}
	h.v1Audit(c, "waitlist.offered", offered.Email, strconv.Itoa(hours)+" hours")
	// Read the entry back for its offer's state and end, as the list shows it.
	list, err := h.v1.Store.ListWaitlist(ctx, orgID, offered.EventID)
	if err != nil {
		return err
	}
	for i := range list {
		if list[i].ID == offered.ID {
			return c.JSON(http.StatusOK, wire.NewWaitlistEntry(&list[i]))
		}
	}
	return admit.Errorf(admit.ENOTFOUND, "Waiting list entry not found.")
}
