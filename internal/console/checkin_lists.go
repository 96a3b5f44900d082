package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// checkInListForm is the name and ticket types of a check-in list as
// submitted.
type checkInListForm struct {
	Name          string
	TicketTypeIDs []int64
}

// Checked reports whether the form ticks the ticket type.
func (f checkInListForm) Checked(id int64) bool {
	for _, t := range f.TicketTypeIDs {
		if t == id {
			return true
		}
	}
	return false
}

func parseCheckInListForm(c echo.Context) (checkInListForm, error) {
	params, err := c.FormParams()
	if err != nil {
		return checkInListForm{}, admit.Errorf(admit.EINVALID, "The form could not be read.")
	}
	f := checkInListForm{Name: strings.TrimSpace(params.Get("name"))}
	for _, v := range params["ticket_type"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			f.TicketTypeIDs = append(f.TicketTypeIDs, id)
		}
	}
	return f, nil
}

type checkInListRow struct {
	List  *admit.CheckInList
	Types string
}

type checkInListsPage struct {
	Base     basePage
	Event    *admit.Event
	Lists    []checkInListRow
	Types    []*admit.TicketType
	Form     checkInListForm
	Problems admit.Problems
}

// checkInListsShow lists the event's check-in lists with their progress,
// and a form for a new one.
func (h *Handler) checkInListsShow(c echo.Context) error {
	ev, err := h.loadEventForCheckIn(c)
	if err != nil {
		return err
	}
	return h.renderCheckInLists(c, http.StatusOK, ev, nil, nil)
}

// renderCheckInLists shows the lists page; a nil form is a fresh one that
// admits every ticket type.
func (h *Handler) renderCheckInLists(c echo.Context, status int, ev *admit.Event, form *checkInListForm, problems admit.Problems) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	lists, err := h.store.ListCheckInLists(ctx, m.org.ID, ev.ID)
	if err != nil {
		return err
	}
	types, err := h.store.ListTicketTypes(ctx, m.org.ID, ev.ID, true)
	if err != nil {
		return err
	}
	page := checkInListsPage{Base: h.base(c, "events"), Event: ev, Types: types, Problems: problems}
	if form != nil {
		page.Form = *form
	} else {
		for _, t := range types {
			page.Form.TicketTypeIDs = append(page.Form.TicketTypeIDs, t.ID)
		}
		if len(lists) == 0 {
			page.Form.Name = "Main entrance"
		}
	}
	names := map[int64]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	for _, l := range lists {
		var admits []string
		for _, id := range l.TicketTypeIDs {
			admits = append(admits, names[id])
		}
		page.Lists = append(page.Lists, checkInListRow{List: l, Types: strings.Join(admits, ", ")})
	}
	return h.html(c, status, "checkin_lists", page)
}

// checkInListCreate creates a check-in list for the event.
func (h *Handler) checkInListCreate(c echo.Context) error {
	ev, err := h.loadEventForCheckIn(c)
	if err != nil {
		return err
	}
	f, err := parseCheckInListForm(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	l := &admit.CheckInList{OrganizationID: m.org.ID, EventID: ev.ID, Name: f.Name, TicketTypeIDs: f.TicketTypeIDs}
	if err := h.store.CreateCheckInList(c.Request().Context(), l); err != nil {
		if p := checkInFormProblems(err); p != nil {
			return h.renderCheckInLists(c, http.StatusUnprocessableEntity, ev, &f, p)
		}
		return err
	}
	h.audit(c, "checkin_list.created", l.Name, ev.Name)
	return h.redirectWithFlash(c, checkInListsPath(m.org.Slug, ev.ID), "Check-in list “"+truncateCode(l.Name)+"” created.")
}

func checkInListsPath(orgSlug string, eventID int64) string {
	return fmt.Sprintf("/console/%s/events/%d/checkin-lists", orgSlug, eventID)
}

// checkInFormProblems returns the field problems of an EINVALID error, or nil.
func checkInFormProblems(err error) admit.Problems {
	var de *admit.Error
	if !errors.As(err, &de) || de.Code != admit.EINVALID {
		return nil
	}
	if len(de.Problems) > 0 {
		return de.Problems
	}
	return admit.Problems{{Field: de.Field, Message: de.Message}}
}

type checkInListPage struct {
	Base     basePage
	Event    *admit.Event
	List     *admit.CheckInList
	Types    []*admit.TicketType
	Form     checkInListForm
	Problems admit.Problems
}

// checkInListEdit shows a check-in list for renaming, changing the ticket
// types it admits, or deleting it.
func (h *Handler) checkInListEdit(c echo.Context) error {
	l, ev, err := h.loadCheckInList(c)
	if err != nil {
		return err
	}
	return h.renderCheckInList(c, http.StatusOK, l, ev, checkInListForm{Name: l.Name, TicketTypeIDs: l.TicketTypeIDs}, nil)
}

func (h *Handler) renderCheckInList(c echo.Context, status int, l *admit.CheckInList, ev *admit.Event, f checkInListForm, problems admit.Problems) error {
	m := currentMember(c)
	types, err := h.store.ListTicketTypes(c.Request().Context(), m.org.ID, ev.ID, true)
	if err != nil {
		return err
	}
	return h.html(c, status, "checkin_list", checkInListPage{Base: h.base(c, "events"), Event: ev, List: l, Types: types,
		Form: f, Problems: problems})
}

// checkInListUpdate saves a check-in list's name and ticket types.
func (h *Handler) checkInListUpdate(c echo.Context) error {
	l, ev, err := h.loadCheckInList(c)
	if err != nil {
		return err
	}
	f, err := parseCheckInListForm(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	before := l.Name
	updated := &admit.CheckInList{ID: l.ID, OrganizationID: m.org.ID, EventID: ev.ID, Name: f.Name, TicketTypeIDs: f.TicketTypeIDs}
	if err := h.store.UpdateCheckInList(c.Request().Context(), updated); err != nil {
		if p := checkInFormProblems(err); p != nil {
			return h.renderCheckInList(c, http.StatusUnprocessableEntity, l, ev, f, p)
		}
		return err
	}
	detail := ev.Name
	if before != updated.Name {
		detail = "renamed from " + before
	}
	h.audit(c, "checkin_list.updated", updated.Name, detail)
	return h.redirectWithFlash(c, checkInListsPath(m.org.Slug, ev.ID), "Check-in list “"+truncateCode(updated.Name)+"” saved.")
}

// checkInListDelete deletes a check-in list; one with check-ins only when
// the form confirms that they go with it.
func (h *Handler) checkInListDelete(c echo.Context) error {
	l, ev, err := h.loadCheckInList(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	removed, err := h.store.DeleteCheckInList(c.Request().Context(), m.org.ID, l.ID, c.FormValue("with_checkins") == "1")
	if admit.ErrorCode(err) == admit.ECONFLICT {
		return h.redirectWithFlash(c, fmt.Sprintf("%s/%d", checkInListsPath(m.org.Slug, ev.ID), l.ID),
			"“"+truncateCode(l.Name)+"” has check-ins. Tick the box to delete them with the list.")
	} else if err != nil {
		return err
	}
	h.audit(c, "checkin_list.deleted", l.Name, fmt.Sprintf("%s; %d check-ins deleted", ev.Name, removed))
	return h.redirectWithFlash(c, checkInListsPath(m.org.Slug, ev.ID), "Check-in list “"+truncateCode(l.Name)+"” deleted.")
}
