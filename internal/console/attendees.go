package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type attendeeRow struct {
	admit.AttendeeTicket
	OrderURL  string
	CheckedIn string
}

type attendeesPage struct {
	Base    basePage
	Event   *admit.Event
	Rows    []attendeeRow
	Query   string
	Total   int
	From    int
	To      int
	PrevURL string
	NextURL string
}

const attendeesPerPage = 100

// attendeesList shows one row per ticket of the event, every status, by
// attendee name, searchable by name, email, ticket code or order reference,
// 100 to a page.
func (h *Handler) attendeesList(c echo.Context) error {
	ev, err := h.loadEventForCheckIn(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	page := attendeesPage{Base: h.base(c, "events"), Event: ev, Query: c.QueryParam("q")}
	if r := []rune(page.Query); len(r) > 200 {
		page.Query = string(r[:200])
	}
	n, _ := strconv.Atoi(c.QueryParam("page"))
	if n < 1 || n > 100000 {
		n = 1
	}
	list, total, err := h.store.ListAttendees(c.Request().Context(), m.org.ID, ev.ID,
		admit.AttendeeFilter{Query: page.Query, Limit: attendeesPerPage, Offset: (n - 1) * attendeesPerPage})
	if err != nil {
		return err
	}
	page.Total = total
	loc := ev.Location()
	for _, a := range list {
		row := attendeeRow{AttendeeTicket: a, OrderURL: fmt.Sprintf("/console/%s/orders/%d", m.org.Slug, a.OrderID)}
		if !a.CheckedInAt.IsZero() {
			row.CheckedIn = formatTime(a.CheckedInAt, loc)
		}
		page.Rows = append(page.Rows, row)
	}
	if len(list) > 0 {
		page.From, page.To = (n-1)*attendeesPerPage+1, (n-1)*attendeesPerPage+len(list)
	}
	link := func(p int) string {
		q := url.Values{"page": {strconv.Itoa(p)}}
		if page.Query != "" {
			q.Set("q", page.Query)
		}
		return fmt.Sprintf("/console/%s/events/%d/attendees?%s", m.org.Slug, ev.ID, q.Encode())
	}
	if n > 1 {
		page.PrevURL = link(n - 1)
	}
	if n*attendeesPerPage < total {
		page.NextURL = link(n + 1)
	}
	return h.html(c, http.StatusOK, "attendees", page)
}
