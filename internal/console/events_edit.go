package console

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// eventPages are the page templates of event and ticket type management.
var eventPages = []string{"event_form", "ticket_type_form"}

// EventStore is what event and ticket type management needs from storage.
// Every method is scoped by organization: an id of another organization's
// event or ticket type is ENOTFOUND.
type EventStore interface {
	CreateEvent(ctx context.Context, e *admit.Event) error
	UpdateEvent(ctx context.Context, e *admit.Event) error
	SetEventStatus(ctx context.Context, orgID, id int64, from, to admit.EventStatus) error
	DuplicateEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	CreateTicketType(ctx context.Context, t *admit.TicketType) error
	FindTicketType(ctx context.Context, orgID, eventID, id int64) (*admit.TicketType, error)
	UpdateTicketType(ctx context.Context, t *admit.TicketType) error
	SetTicketTypeHidden(ctx context.Context, orgID, eventID, id int64, hidden bool) error
	MoveTicketType(ctx context.Context, orgID, eventID, id int64, by int) (bool, error)
}

// registerEvents adds the event and ticket type management routes to the
// group of owners and admins.
func (h *Handler) registerEvents(admin *echo.Group) {
	admin.GET("/events/new", h.eventNew)
	admin.POST("/events/new", h.eventCreate)
	admin.GET("/events/:event/edit", h.eventEdit)
	admin.POST("/events/:event/edit", h.eventUpdate)
	admin.GET("/events/:event/public", h.eventPublicShow)
	admin.POST("/events/:event/public", h.eventPublicUpdate)
	admin.GET("/events/:event/preview", h.eventPreview)
	admin.POST("/events/:event/duplicate", h.eventDuplicate)
	admin.POST("/events/:event/status", h.eventStatus)
	admin.GET("/events/:event/ticket-types/new", h.ticketTypeNew)
	admin.POST("/events/:event/ticket-types/new", h.ticketTypeCreate)
	admin.GET("/events/:event/ticket-types/:type/edit", h.ticketTypeEdit)
	admin.POST("/events/:event/ticket-types/:type/edit", h.ticketTypeUpdate)
	admin.POST("/events/:event/ticket-types/:type/hide", h.ticketTypeHide)
	admin.POST("/events/:event/ticket-types/:type/unhide", h.ticketTypeUnhide)
	admin.POST("/events/:event/ticket-types/:type/move", h.ticketTypeMove)
}

// eventOfRequest returns the member's organization's event named in the
// URL, or ENOTFOUND.
func (h *Handler) eventOfRequest(c echo.Context) (*admit.Event, error) {
	id, err := strconv.ParseInt(c.Param("event"), 10, 64)
	if err != nil {
		return nil, admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	return h.store.FindEvent(c.Request().Context(), currentMember(c).org.ID, id)
}

// eventURL is the console address of the event's dashboard.
func eventURL(m *member, eventID int64) string {
	return "/console/" + m.org.Slug + "/events/" + strconv.FormatInt(eventID, 10)
}
