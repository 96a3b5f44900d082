package console

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// checkInPages are the page templates of check-in.
var checkInPages = []string{"checkin_choose", "checkin", "checkin_lists", "checkin_list", "attendees"}

// CheckInStore is what check-in needs from storage.
type CheckInStore interface {
	CheckIn(ctx context.Context, orgID, listID int64, code string, userID int64) (*admit.CheckInResult, error)
	UndoCheckIn(ctx context.Context, orgID, listID, checkInID, userID int64) (*admit.CheckIn, bool, error)
	ListCheckIns(ctx context.Context, orgID, listID int64, limit int) ([]*admit.CheckIn, error)
	ListCheckInLists(ctx context.Context, orgID, eventID int64) ([]*admit.CheckInList, error)
	FindCheckInList(ctx context.Context, orgID, id int64) (*admit.CheckInList, error)
	CreateCheckInList(ctx context.Context, l *admit.CheckInList) error
	UpdateCheckInList(ctx context.Context, l *admit.CheckInList) error
	DeleteCheckInList(ctx context.Context, orgID, id int64, withCheckIns bool) (int, error)
	CountEventCheckIns(ctx context.Context, orgID, eventID int64) (admit.CheckInCount, error)
	ListAttendees(ctx context.Context, orgID, eventID int64, f admit.AttendeeFilter) ([]admit.AttendeeTicket, int, error)
	QueueEventConfirmations(ctx context.Context, orgID, eventID int64, f admit.AttendeeFilter) (int, error)
	OfflineCheckInStore
}

// registerCheckIn adds the check-in routes: staff pages to the group every
// member reaches, list management to the group of owners and admins.
func (h *Handler) registerCheckIn(staff, admin *echo.Group) {
	staff.GET("/checkin", h.checkInChoose)
	h.registerOfflineCheckIn(staff)
	staff.GET("/checkin/:list", h.checkInShow)
	staff.POST("/checkin/:list", h.checkInSubmit)
	staff.POST("/checkin/:list/checkins/:checkin/undo", h.checkInUndo)

	admin.GET("/events/:event/checkin-lists", h.checkInListsShow)
	admin.POST("/events/:event/checkin-lists", h.checkInListCreate)
	admin.GET("/events/:event/checkin-lists/:list", h.checkInListEdit)
	admin.POST("/events/:event/checkin-lists/:list", h.checkInListUpdate)
	admin.POST("/events/:event/checkin-lists/:list/delete", h.checkInListDelete)
	admin.GET("/events/:event/attendees", h.attendeesList)
	admin.POST("/events/:event/attendees/resend", h.attendeesResend)
}

// checkInParamID parses the route parameter name as an id; anything else is the
// same not-found as a missing object.
func checkInParamID(c echo.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, admit.Errorf(admit.ENOTFOUND, "%s not found.", what)
	}
	return id, nil
}

// loadEventForCheckIn finds the organization's event named in the URL.
func (h *Handler) loadEventForCheckIn(c echo.Context) (*admit.Event, error) {
	id, err := checkInParamID(c, "event", "Event")
	if err != nil {
		return nil, err
	}
	return h.store.FindEvent(c.Request().Context(), currentMember(c).org.ID, id)
}

// loadCheckInList finds the organization's check-in list named in the URL
// and its event. Under /events/:event the list must be of that event.
func (h *Handler) loadCheckInList(c echo.Context) (*admit.CheckInList, *admit.Event, error) {
	m := currentMember(c)
	ctx := c.Request().Context()
	id, err := checkInParamID(c, "list", "Check-in list")
	if err != nil {
		return nil, nil, err
	}
	l, err := h.store.FindCheckInList(ctx, m.org.ID, id)
	if err != nil {
		return nil, nil, err
	}
	if c.Param("event") != "" && c.Param("event") != strconv.FormatInt(l.EventID, 10) {
		return nil, nil, admit.Errorf(admit.ENOTFOUND, "Check-in list not found.")
	}
	ev, err := h.store.FindEvent(ctx, m.org.ID, l.EventID)
	if err != nil {
		return nil, nil, err
	}
	return l, ev, nil
}
