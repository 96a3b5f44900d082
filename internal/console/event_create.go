package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// eventNew shows the form for a new event.
func (h *Handler) eventNew(c echo.Context) error {
	return h.html(c, http.StatusOK, "event_form", eventFormPage{Base: h.base(c, "events"), Form: newEventForm(),
		Zones: eventZones, OtherZone: eventOtherZone})
}

// eventCreate creates the event as a draft: organizers add ticket types and
// publish it when it is ready.
func (h *Handler) eventCreate(c echo.Context) error {
	m := currentMember(c)
	f := readEventForm(c)
	ev := &admit.Event{OrganizationID: m.org.ID, Status: admit.EventDraft}
	problems := f.apply(ev)
	if len(problems) == 0 {
		err := h.store.CreateEvent(c.Request().Context(), ev)
		if problems = eventInvalid(err); err != nil && len(problems) == 0 {
			return err
		}
	}
	if len(problems) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "event_form", eventFormPage{Base: h.base(c, "events"), Form: f,
			Zones: eventZones, OtherZone: eventOtherZone, Problems: problems})
	}
	h.audit(c, "event.created", ev.Slug, ev.Name)
	return h.redirectWithFlash(c, eventURL(m, ev.ID), "Event created as a draft. Add its ticket types, then publish it.")
}
