package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// eventCurrencyLocked reports whether the event has orders, after which its
// currency cannot change (storage enforces it; the form says so up front).
func (h *Handler) eventCurrencyLocked(c echo.Context, ev *admit.Event) (bool, error) {
	s, err := h.store.SummarizeEvent(c.Request().Context(), ev.OrganizationID, ev.ID)
	return s.Orders > 0, err
}

// eventEdit shows the event's form filled in.
func (h *Handler) eventEdit(c echo.Context) error {
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	locked, err := h.eventCurrencyLocked(c, ev)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "event_form", eventFormPage{Base: h.base(c, "events"), Event: ev, Form: eventFormOf(ev),
		Zones: eventZones, OtherZone: eventOtherZone, CurrencyLocked: locked})
}

// eventUpdate stores the edited event; its status changes only through
// eventStatus.
func (h *Handler) eventUpdate(c echo.Context) error {
	m := currentMember(c)
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	f := readEventForm(c)
	changed := *ev
	problems := f.apply(&changed)
	if len(problems) == 0 {
		err := h.store.UpdateEvent(c.Request().Context(), &changed)
		if problems = eventInvalid(err); err != nil && len(problems) == 0 {
			return err
		}
	}
	if len(problems) > 0 {
		locked, err := h.eventCurrencyLocked(c, ev)
		if err != nil {
			return err
		}
		return h.html(c, http.StatusUnprocessableEntity, "event_form", eventFormPage{Base: h.base(c, "events"), Event: ev, Form: f,
			Zones: eventZones, OtherZone: eventOtherZone, CurrencyLocked: locked, Problems: problems})
	}
	detail := changed.Name
	if changed.Slug != ev.Slug {
		detail += " (address was " + ev.Slug + ")"
	}
	h.audit(c, "event.updated", changed.Slug, detail)
	return h.redirectWithFlash(c, eventURL(m, ev.ID), "Event saved.")
}
