package console

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// eventDuplicate copies the event and its ticket types into a new draft and
// opens the copy's form, where the organizer changes what differs.
func (h *Handler) eventDuplicate(c echo.Context) error {
	m := currentMember(c)
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	dup, err := h.store.DuplicateEvent(c.Request().Context(), m.org.ID, ev.ID)
	if err != nil {
		return err
	}
	h.audit(c, "event.duplicated", dup.Slug, "copy of "+ev.Slug)
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/events/"+strconv.FormatInt(dup.ID, 10)+"/edit",
		"Copied as a draft with its ticket types. Change its name, address and dates, then save.")
}
