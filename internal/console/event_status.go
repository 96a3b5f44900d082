package console

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// eventTransition is what a status change is called in the audit log and
// the message the organizer sees after it.
type eventTransition struct {
	action, flash string
}

var eventTransitionNames = map[[2]admit.EventStatus]eventTransition{
	{admit.EventDraft, admit.EventPublished}:  {"event.published", "Event published: tickets are on sale on its public page."},
	{admit.EventPublished, admit.EventDraft}:  {"event.unpublished", "Event unpublished: it is a draft again and its public page is gone."},
	{admit.EventPublished, admit.EventClosed}: {"event.closed", "Sales closed: the public page stays up, without tickets on sale."},
	{admit.EventClosed, admit.EventPublished}: {"event.reopened", "Sales reopened."},
	{admit.EventDraft, admit.EventArchived}:   {"event.archived", "Event archived."},
	{admit.EventClosed, admit.EventArchived}:  {"event.archived", "Event archived."},
	{admit.EventArchived, admit.EventDraft}:   {"event.restored", "Event restored as a draft."},
}

// eventStatus publishes, unpublishes, closes, reopens, archives or restores
// the event: the form's status field names the status to move to, and only
// the transitions of admit.EventStatus.CanBecome are allowed.
func (h *Handler) eventStatus(c echo.Context) error {
	m := currentMember(c)
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	to := admit.EventStatus(c.FormValue("status"))
	if !ev.Status.CanBecome(to) {
		return admit.Errorf(admit.EINVALID, "This event is %s; it cannot become %q from there.", ev.Status, to)
	}
	if to == admit.EventPublished {
		types, err := h.store.ListTicketTypes(c.Request().Context(), m.org.ID, ev.ID, true)
		if err != nil {
			return err
		}
		if err := ev.CheckPublishable(types, h.paymentMethods(), time.Now()); err != nil {
			p, ok := problemsOf(err)
			if !ok {
				return err
			}
			return h.eventDashboard(c, http.StatusUnprocessableEntity, ev, p)
		}
	}
	if err := h.store.SetEventStatus(c.Request().Context(), m.org.ID, ev.ID, ev.Status, to); err != nil {
		return err
	}
	t, ok := eventTransitionNames[[2]admit.EventStatus{ev.Status, to}]
	if !ok {
		t = eventTransition{"event.status_changed", "Event is now " + string(to) + "."}
	}
	h.audit(c, t.action, ev.Slug, string(ev.Status)+" → "+string(to))
	return h.redirectWithFlash(c, eventURL(m, ev.ID), t.flash)
}

// paymentMethods are the ways buyers can pay on this server.
func (h *Handler) paymentMethods() []string {
	if h.checkout == nil {
		return nil
	}
	return h.checkout.PaymentMethods()
}
