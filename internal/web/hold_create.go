package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
)

// holdCreate holds the tickets chosen on the event page and sends the buyer
// to the details step; if not enough remain, the event page comes back with
// the choices kept and the problem next to the ticket type.
func (h *Handler) holdCreate(c echo.Context) error {
	orgSlug, eventSlug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(orgSlug) || !admit.ValidSlug(eventSlug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	ctx := c.Request().Context()
	ev, err := h.store.CachedPublicEvent(ctx, orgSlug, eventSlug)
	if err != nil {
		return err
	}
	noteEvent(c, ev)
	if !h.admitted(c, ev) {
		return c.Redirect(http.StatusSeeOther, "/e/"+orgSlug+"/"+eventSlug+"/queue")
	}
	form, err := c.FormParams()
	if err != nil {
		return admit.Errorf(admit.EINVALID, "The form could not be read.")
	}
	selected := map[int64]int{}
	var items []admit.HoldItem
	var problems admit.Problems
	for name, values := range form {
		idText, ok := strings.CutPrefix(name, "qty_")
		if !ok || len(values) == 0 {
			continue
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			continue
		}
		q, err := strconv.Atoi(strings.TrimSpace(values[0]))
		if err != nil || q < 0 || q > 1000 {
			problems.Add("ticket_type_"+idText, "Choose a number of tickets.")
			continue
		}
		selected[id] = q
		items = append(items, admit.HoldItem{TicketTypeID: id, Quantity: q})
	}
	if err := problems.Err(); err != nil {
		return h.eventWithProblem(c, http.StatusUnprocessableEntity, orgSlug, ev, selected, problems, "")
	}
	code := c.FormValue("code")
	hold, err := h.codes.HoldWithCode(ctx, ev, items, checkout.Client{Key: buyerID(c), IP: admit.AddressKey(c.RealIP())}, code)
	if err != nil {
		var de *admit.Error
		if !errors.As(err, &de) || de.Code == admit.EINTERNAL {
			return err
		}
		problems = de.Problems
		if len(problems) == 0 && de.Field != "" {
			problems = admit.Problems{{Field: de.Field, Message: de.Message}}
		}
		status := http.StatusUnprocessableEntity
		if de.Code == admit.ESOLDOUT {
			status = http.StatusConflict
		}
		return h.eventWithProblem(c, status, orgSlug, ev, selected, problems, de.Message)
	}
	return c.Redirect(http.StatusSeeOther, "/checkout/"+hold.ID)
}

func (h *Handler) eventWithProblem(c echo.Context, status int, orgSlug string, ev *admit.Event, selected map[int64]int, problems admit.Problems, message string) error {
	if message == "" && len(problems) > 0 {
		message = problems[0].Message
	}
	body, err := h.renderEventWithCode(c, orgSlug, ev, selected, problems, message, c.FormValue("code"))
	if err != nil {
		return err
	}
	return h.htmlWithToken(c, status, body)
}
