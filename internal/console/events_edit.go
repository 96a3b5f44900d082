package console

import "github.com/labstack/echo/v4"

// eventPages are the page templates of event and ticket type management.
var eventPages = []string{}

// EventStore is what event and ticket type management needs from storage.
type EventStore interface{}

// registerEvents adds the event and ticket type management routes to the
// group of owners and admins.
func (h *Handler) registerEvents(admin *echo.Group) {}
