package v1

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/wire"
)

type v1CheckInList struct {
	ID            int64     `json:"id"`
	EventID       int64     `json:"event_id"`
	Name          string    `json:"name"`
	TicketTypeIDs []int64   `json:"ticket_type_ids"`
	CheckedIn     int       `json:"checked_in"`
	Admitted      int       `json:"admitted"`
	CreatedAt     time.Time `json:"created_at"`
}

func newV1CheckInList(l *admit.CheckInList) v1CheckInList {
	out := v1CheckInList{ID: l.ID, EventID: l.EventID, Name: l.Name, TicketTypeIDs: append([]int64{}, l.TicketTypeIDs...),
		CheckedIn: l.Progress.CheckedIn, Admitted: l.Progress.Admitted, CreatedAt: l.CreatedAt.UTC()}
	return out
}

// v1CheckInListsList lists the event's check-in lists with their progress.
func (h *Handler) v1CheckInListsList(c echo.Context) error {
	p, err := v1Page(c, false)
	if err != nil {
		return err
	}
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	lists, err := h.v1.Store.ListCheckInLists(c.Request().Context(), e.OrganizationID, e.ID)
	if err != nil {
		return err
	}
	page, hasMore := pageInMemory(lists, p, func(l *admit.CheckInList) int64 { return l.ID })
	out := make([]v1CheckInList, 0, len(page))
	for _, l := range page {
		out = append(out, newV1CheckInList(l))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(l v1CheckInList) int64 { return l.ID }))
}

func (h *Handler) v1FindCheckInList(c echo.Context) (*admit.CheckInList, error) {
	id, err := v1ID(c, "list", "Check-in list")
	if err != nil {
		return nil, err
	}
	return h.v1.Store.FindCheckInList(c.Request().Context(), v1Token(c).OrganizationID, id)
}

func (h *Handler) v1CheckInListShow(c echo.Context) error {
	l, err := h.v1FindCheckInList(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newV1CheckInList(l))
}

// v1ListTicket is a ticket as a scanner stores it for offline use.
type v1ListTicket struct {
	ID             int64      `json:"id"`
	Code           string     `json:"code"`
	AttendeeName   string     `json:"attendee_name"`
	AttendeeEmail  string     `json:"attendee_email"`
	TicketTypeID   int64      `json:"ticket_type_id"`
	TicketType     string     `json:"ticket_type"`
	Status         string     `json:"status"`
	OrderReference string     `json:"order_reference"`
	OrderStatus    string     `json:"order_status"`
	Admits         bool       `json:"admits"`
	CheckInID      *int64     `json:"checkin_id"`
	CheckedInAt    *time.Time `json:"checked_in_at"`
	ChangedAt      time.Time  `json:"changed_at"`
}

func newV1ListTicket(t *admit.ListTicket) v1ListTicket {
	out := v1ListTicket{ID: t.TicketID, Code: t.Code, AttendeeName: t.AttendeeName, AttendeeEmail: t.AttendeeEmail,
		TicketTypeID: t.TicketTypeID, TicketType: t.TicketType, Status: string(t.TicketStatus), OrderReference: t.OrderReference,
		OrderStatus: string(t.OrderStatus), Admits: t.TicketStatus == admit.TicketValid && t.OrderStatus == admit.OrderPaid,
		CheckedInAt: wire.TimePtr(t.CheckedInAt), ChangedAt: t.ChangedAt.UTC()}
	if t.CheckInID != 0 {
		id := t.CheckInID
		out.CheckInID = &id
	}
	return out
}

// v1CheckInListTickets is the scanners' sync: every ticket the list admits
// by type, void and unpaid ones included (so a scanner offline can refuse
// them with the reason), with the check-in in force. With changed_since,
// only what changed since: the ticket, its order, or its check-ins here.
func (h *Handler) v1CheckInListTickets(c echo.Context) error {
	p, err := v1Page(c, true)
	if err != nil {
		return err
	}
	l, err := h.v1FindCheckInList(c)
	if err != nil {
		return err
	}
	tickets, hasMore, err := h.v1.Store.ListCheckInListTickets(c.Request().Context(), l.OrganizationID, l.ID, p)
	if err != nil {
		return err
	}
	out := make([]v1ListTicket, 0, len(tickets))
	for i := range tickets {
		out = append(out, newV1ListTicket(&tickets[i]))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(t v1ListTicket) int64 { return t.ID }))
}

type v1CheckIn struct {
	ID           int64      `json:"id"`
	ListID       int64      `json:"list_id"`
	TicketID     int64      `json:"ticket_id"`
	Code         string     `json:"code"`
	AttendeeName string     `json:"attendee_name"`
	TicketType   string     `json:"ticket_type"`
	CheckedInBy  string     `json:"checked_in_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UndoneAt     *time.Time `json:"undone_at"`
}

func newV1CheckIn(ci *admit.CheckIn) v1CheckIn {
	return v1CheckIn{ID: ci.ID, ListID: ci.ListID, TicketID: ci.TicketID, Code: ci.Code, AttendeeName: ci.AttendeeName,
		TicketType: ci.TicketType, CheckedInBy: ci.By, CreatedAt: ci.At.UTC(), UndoneAt: wire.TimePtr(ci.UndoneAt)}
}

// v1CheckInsList lists the list's check-ins, undone ones included.
func (h *Handler) v1CheckInsList(c echo.Context) error {
	p, err := v1Page(c, true)
	if err != nil {
		return err
	}
	l, err := h.v1FindCheckInList(c)
	if err != nil {
		return err
	}
	list, hasMore, err := h.v1.Store.ListCheckInsPage(c.Request().Context(), l.OrganizationID, l.ID, p)
	if err != nil {
		return err
	}
	out := make([]v1CheckIn, 0, len(list))
	for _, ci := range list {
		out = append(out, newV1CheckIn(ci))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(ci v1CheckIn) int64 { return ci.ID }))
}

// v1CheckInResult is the answer to a scan; refusals carry it as the
// problem's detail.
type v1CheckInResult struct {
	Outcome string        `json:"outcome"`
	Ticket  *v1ListTicket `json:"ticket"`
	CheckIn *v1CheckIn    `json:"checkin"`
}

// v1CheckInCreate checks the ticket with code in on the list: 201 with
// the check-in; a refusal is 409 (already checked in, void, unpaid, wrong
// list) or 404 (no such ticket for this event), its detail naming the
// outcome. Two scanners on one ticket get one 201 and one 409.
func (h *Handler) v1CheckInCreate(c echo.Context) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := api.Decode(c, &req, api.Rules{Strict: true}); err != nil {
		return err
	}
	if req.Code == "" {
		return admit.FieldError("code", "Send the ticket's code.")
	}
	l, err := h.v1FindCheckInList(c)
	if err != nil {
		return err
	}
	r, err := h.v1.Store.CheckIn(c.Request().Context(), l.OrganizationID, l.ID, req.Code, 0)
	if err != nil {
		return err
	}
	out := v1CheckInResult{Outcome: string(r.Outcome)}
	if r.TicketID != 0 {
		t := newV1ListTicket(&admit.ListTicket{TicketID: r.TicketID, Code: r.Code, AttendeeName: r.AttendeeName, AttendeeEmail: r.AttendeeEmail,
			TicketTypeID: r.TicketTypeID, TicketType: r.TicketType, TicketStatus: r.TicketStatus, OrderReference: r.OrderReference,
			OrderStatus: r.OrderStatus, ChangedAt: time.Now()})
		if r.CheckIn != nil && r.CheckIn.Active() {
			id, at := r.CheckIn.ID, r.CheckIn.At.UTC()
			t.CheckInID, t.CheckedInAt, t.ChangedAt = &id, &at, at
		}
		out.Ticket = &t
	}
	if r.CheckIn != nil {
		ci := newV1CheckIn(r.CheckIn)
		out.CheckIn = &ci
	}
	var message string
	switch r.Outcome {
	case admit.CheckInOK:
		h.v1Audit(c, "checkin.created", r.Code, l.Name)
		return c.JSON(http.StatusCreated, out)
	case admit.CheckInUnknown:
		return &admit.Error{Code: admit.ENOTFOUND, Message: "No ticket of this event has this code.", Detail: out}
	case admit.CheckInAlready:
		message = "Already checked in on this list"
		if r.CheckIn != nil {
			message += " at " + r.CheckIn.At.UTC().Format(time.RFC3339)
		}
		message += "."
	case admit.CheckInVoid:
		message = "This ticket is void (cancelled or refunded)."
	case admit.CheckInPending:
		message = "This ticket's order is not paid."
	case admit.CheckInWrongList:
		message = "This list does not admit " + r.TicketType + " tickets."
	default:
		message = "This ticket cannot be checked in."
	}
	return &admit.Error{Code: admit.ECONFLICT, Message: message, Detail: out}
}

// v1CheckInDelete undoes a check-in, so the ticket can be checked in again.
// Undoing an undone check-in answers with it unchanged.
func (h *Handler) v1CheckInDelete(c echo.Context) error {
	l, err := h.v1FindCheckInList(c)
	if err != nil {
		return err
	}
	id, err := v1ID(c, "checkin", "Check-in")
	if err != nil {
		return err
	}
	ci, changed, err := h.v1.Store.UndoCheckIn(c.Request().Context(), l.OrganizationID, l.ID, id, 0)
	if err != nil {
		return err
	}
	if changed {
		h.v1Audit(c, "checkin.undone", ci.Code, l.Name)
	}
	return c.JSON(http.StatusOK, newV1CheckIn(ci))
}
