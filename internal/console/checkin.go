package console

import "github.com/labstack/echo/v4"

// checkInPages are the page templates of check-in.
var checkInPages = []string{}

// CheckInStore is what check-in needs from storage.
type CheckInStore interface{}

// registerCheckIn adds the check-in routes: staff pages to the group every
// member reaches, list management to the group of owners and admins.
func (h *Handler) registerCheckIn(staff, admin *echo.Group) {}
