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
	Base   basePage
	Event  *admit.Event
	Rows   []attendeeRow
	Query  string
	Types  []*admit.TicketType
	TypeID int64
	// CheckedIn filters by check-in: "yes", "no" or "" (either).
	CheckedIn string
	// Questions of the event, to filter by an answer.
	Questions  []*admit.Question
	QuestionID int64
	Answer     string
	Filter     url.Values // the filter, for the bulk resend form
	Total      int
	From       int
	To         int
	PrevURL    string
	NextURL    string
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
	f := attendeeFilterOf(c)
	page := attendeesPage{Base: h.base(c, "events"), Event: ev, Query: f.Query, TypeID: f.TicketTypeID, CheckedIn: f.CheckedIn,
		QuestionID: f.QuestionID, Answer: f.Answer}
	if page.Types, err = h.store.ListTicketTypes(c.Request().Context(), m.org.ID, ev.ID, true); err != nil {
		return err
	}
	if page.Questions, err = h.store.ListQuestions(c.Request().Context(), m.org.ID, ev.ID); err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.QueryParam("page"))
	if n < 1 || n > 100000 {
		n = 1
	}
	f.Limit, f.Offset = attendeesPerPage, (n-1)*attendeesPerPage
	list, total, err := h.store.ListAttendees(c.Request().Context(), m.org.ID, ev.ID, f)
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
		q := attendeeFilterValues(f)
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf("/console/%s/events/%d/attendees?%s", m.org.Slug, ev.ID, q.Encode())
	}
	if n > 1 {
		page.PrevURL = link(n - 1)
	}
	if n*attendeesPerPage < total {
		page.NextURL = link(n + 1)
	}
	page.Filter = attendeeFilterValues(f)
	return h.html(c, http.StatusOK, "attendees", page)
}

// attendeeFilterOf reads the attendee filter from the request's form or
// query: search text, ticket type and check-in state.
func attendeeFilterOf(c echo.Context) admit.AttendeeFilter {
	f := admit.AttendeeFilter{Query: c.FormValue("q"), CheckedIn: c.FormValue("checked_in")}
	if r := []rune(f.Query); len(r) > 200 {
		f.Query = string(r[:200])
	}
	f.TicketTypeID, _ = strconv.ParseInt(c.FormValue("type"), 10, 64)
	f.QuestionID, _ = strconv.ParseInt(c.FormValue("question"), 10, 64)
	if f.QuestionID != 0 {
		f.Answer = c.FormValue("answer")
		if r := []rune(f.Answer); len(r) > 200 {
			f.Answer = string(r[:200])
		}
	}
	if f.CheckedIn != "yes" && f.CheckedIn != "no" {
		f.CheckedIn = ""
	}
	return f
}

func attendeeFilterValues(f admit.AttendeeFilter) url.Values {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.TicketTypeID != 0 {
		q.Set("type", strconv.FormatInt(f.TicketTypeID, 10))
	}
	if f.CheckedIn != "" {
		q.Set("checked_in", f.CheckedIn)
	}
	if f.QuestionID != 0 {
		q.Set("question", strconv.FormatInt(f.QuestionID, 10))
		q.Set("answer", f.Answer)
	}
	return q
}

// attendeesResend queues the confirmation email again for every paid order
// with a ticket the filter matches, once per order however many of its
// tickets match.
func (h *Handler) attendeesResend(c echo.Context) error {
	ev, err := h.loadEventForCheckIn(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	f := attendeeFilterOf(c)
	n, err := h.store.QueueEventConfirmations(c.Request().Context(), m.org.ID, ev.ID, f)
	if err != nil {
		return err
	}
	h.audit(c, "order.confirmations_resent", ev.Slug, count(n, "order", "orders"))
	to := fmt.Sprintf("/console/%s/events/%d/attendees?%s", m.org.Slug, ev.ID, attendeeFilterValues(f).Encode())
	if n == 0 {
		return h.redirectWithFlash(c, to, "No paid order matches: no confirmation sent.")
	}
	return h.redirectWithFlash(c, to, "The confirmation will be sent again for "+count(n, "paid order", "paid orders")+".")
}
