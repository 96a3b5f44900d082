package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type checkInEventGroup struct {
	EventID   int64
	EventName string
	Lists     []*admit.CheckInList
}

type checkInChoosePage struct {
	Base   basePage
	Events []checkInEventGroup
}

// checkInChoose lets any member pick the list to check tickets in on,
// grouped by event.
func (h *Handler) checkInChoose(c echo.Context) error {
	m := currentMember(c)
	lists, err := h.store.ListCheckInLists(c.Request().Context(), m.org.ID, 0)
	if err != nil {
		return err
	}
	page := checkInChoosePage{Base: h.base(c, "checkin")}
	for _, l := range lists {
		if n := len(page.Events); n == 0 || page.Events[n-1].EventID != l.EventID {
			page.Events = append(page.Events, checkInEventGroup{EventID: l.EventID, EventName: l.EventName})
		}
		g := &page.Events[len(page.Events)-1]
		g.Lists = append(g.Lists, l)
	}
	return h.html(c, http.StatusOK, "checkin_choose", page)
}

// checkInVerdict is a scan's result as the door sees it: one line to read
// from a distance, then the details.
type checkInVerdict struct {
	OK       bool
	Outcome  string
	Headline string
	Details  []string
	// Undo is the check-in that may be undone from the result: the one just
	// made, or the one in force that refused this scan.
	Undo     *admit.CheckIn
	OrderURL string
}

type checkInPage struct {
	Base     basePage
	Event    *admit.Event
	List     *admit.CheckInList
	Result   *checkInVerdict
	Recent   []checkInRow
	Manage   string // the list management page, for owners and admins
	FormPath string
}

type checkInRow struct {
	*admit.CheckIn
	When       string
	UndoneWhen string
}

// recentCheckIns is how many of a list's latest check-ins its page shows.
const recentCheckIns = 10

// checkInShow is the door's page: a code field ready for the next ticket,
// the camera where the browser can read QR codes, and the list's progress.
func (h *Handler) checkInShow(c echo.Context) error {
	l, ev, err := h.loadCheckInList(c)
	if err != nil {
		return err
	}
	return h.renderCheckIn(c, http.StatusOK, l, ev, nil)
}

// checkInSubmit checks in the ticket whose code was typed or scanned, and
// answers with the page itself (no redirect: a scanner wants speed), the
// result on top and the field empty for the next code.
func (h *Handler) checkInSubmit(c echo.Context) error {
	l, ev, err := h.loadCheckInList(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	r, err := h.store.CheckIn(c.Request().Context(), m.org.ID, l.ID, c.FormValue("code"), m.user.ID)
	if err != nil {
		return err
	}
	status := http.StatusUnprocessableEntity
	if r.Outcome == admit.CheckInOK {
		status = http.StatusOK
		l.Progress.CheckedIn++
		h.audit(c, "checkin.created", r.Code, l.Name)
	}
	return h.renderCheckIn(c, status, l, ev, verdictFor(r, l, ev, m.org.Slug))
}

func (h *Handler) renderCheckIn(c echo.Context, status int, l *admit.CheckInList, ev *admit.Event, v *checkInVerdict) error {
	m := currentMember(c)
	recent, err := h.store.ListCheckIns(c.Request().Context(), m.org.ID, l.ID, recentCheckIns)
	if err != nil {
		return err
	}
	base := "/console/" + m.org.Slug
	page := checkInPage{Base: h.base(c, "checkin"), Event: ev, List: l, Result: v,
		FormPath: base + "/checkin/" + strconv.FormatInt(l.ID, 10)}
	if page.Base.CanManage() {
		page.Manage = fmt.Sprintf("%s/events/%d/checkin-lists", base, ev.ID)
	}
	loc := ev.Location()
	for _, ci := range recent {
		row := checkInRow{CheckIn: ci, When: ci.At.In(loc).Format("15:04:05")}
		if !ci.Active() {
			row.UndoneWhen = ci.UndoneAt.In(loc).Format("15:04:05")
		}
		page.Recent = append(page.Recent, row)
	}
	return h.html(c, status, "checkin", page)
}

// verdictFor words the result of a scan for the door.
func verdictFor(r *admit.CheckInResult, l *admit.CheckInList, ev *admit.Event, orgSlug string) *checkInVerdict {
	v := &checkInVerdict{Outcome: string(r.Outcome)}
	name := r.AttendeeName
	if name == "" {
		name = "(no name)"
	}
	who := name + " — " + r.TicketType
	if r.OrderID != 0 {
		v.OrderURL = fmt.Sprintf("/console/%s/orders/%d", orgSlug, r.OrderID)
	}
	switch r.Outcome {
	case admit.CheckInOK:
		v.OK = true
		v.Headline = "Checked in: " + who
		v.Undo = r.CheckIn
		if r.AttendeeEmail != "" {
			v.Details = append(v.Details, r.AttendeeEmail)
		}
		v.Details = append(v.Details, "Order "+r.OrderReference)
	case admit.CheckInAlready:
		v.Headline = "Already checked in"
		v.Details = append(v.Details, who)
		if ci := r.CheckIn; ci != nil {
			v.Undo = ci
			by := ci.By
			if by == "" {
				by = "a former member"
			}
			v.Details = append(v.Details, fmt.Sprintf("Checked in on %s by %s at %s (%s).", l.Name, by,
				ci.At.In(ev.Location()).Format("15:04 on 2 Jan"), checkInAgo(time.Since(ci.At))))
		}
	case admit.CheckInVoid:
		v.Headline = "Void ticket — do not admit"
		v.Details = append(v.Details, who)
		if r.OrderStatus == admit.OrderCancelled || r.OrderStatus == admit.OrderRefunded {
			v.Details = append(v.Details, fmt.Sprintf("Order %s is %s; its tickets admit no one.", r.OrderReference, r.OrderStatus))
		} else {
			v.Details = append(v.Details, "This ticket was voided (order "+r.OrderReference+").")
		}
	case admit.CheckInPending:
		v.Headline = "Not paid — do not admit"
		v.Details = append(v.Details, who, "Order "+r.OrderReference+" is awaiting payment; its tickets are not valid until it is paid.")
	case admit.CheckInWrongList:
		v.Headline = "Not valid on this list"
		v.Details = append(v.Details, who, fmt.Sprintf("%s tickets are not admitted on “%s”.", r.TicketType, l.Name))
	default:
		v.Headline = "Unknown code"
		v.OrderURL = ""
		if r.Code == "" {
			v.Details = append(v.Details, "Type or scan a ticket code.")
		} else {
			v.Details = append(v.Details, fmt.Sprintf("No ticket of %s has the code “%s”.", ev.Name, truncateCode(r.Code)))
		}
	}
	return v
}

// truncateCode shortens what a visitor typed, or a name, for a message.
func truncateCode(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func checkInAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
}

// checkInUndo undoes a check-in in force on the list, so its ticket can be
// checked in again; an undo already done changes nothing.
func (h *Handler) checkInUndo(c echo.Context) error {
	l, _, err := h.loadCheckInList(c)
	if err != nil {
		return err
	}
	id, err := checkInParamID(c, "checkin", "Check-in")
	if err != nil {
		return err
	}
	m := currentMember(c)
	to := "/console/" + m.org.Slug + "/checkin/" + strconv.FormatInt(l.ID, 10)
	if !confirmed(c) {
		return h.confirmCheckInUndo(c, l, id, to)
	}
	ci, changed, err := h.store.UndoCheckIn(c.Request().Context(), m.org.ID, l.ID, id, m.user.ID)
	if err != nil {
		return err
	}
	if !changed {
		return h.redirectWithFlash(c, to, "That check-in of "+truncateCode(ci.AttendeeName)+" was already undone.")
	}
	h.audit(c, "checkin.undone", ci.Code, l.Name)
	return h.redirectWithFlash(c, to, "Check-in of "+truncateCode(ci.AttendeeName)+" undone; the ticket can be checked in again.")
}

// confirmCheckInUndo asks before undoing check-in id of list l, naming the
// attendee and when they came in: undone, the ticket admits someone again.
func (h *Handler) confirmCheckInUndo(c echo.Context, l *admit.CheckInList, id int64, back string) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	recent, err := h.store.ListCheckIns(ctx, m.org.ID, l.ID, 500)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(recent, func(ci *admit.CheckIn) bool { return ci.ID == id })
	if i < 0 {
		// Only recent check-ins are offered for undoing; one of another
		// list or organization is as unknown here as in UndoCheckIn.
		return admit.Errorf(admit.ENOTFOUND, "Check-in not found.")
	}
	ci := recent[i]
	if !ci.Active() {
		return h.redirectWithFlash(c, back, "That check-in of "+truncateCode(ci.AttendeeName)+" was already undone.")
	}
	ev, err := h.store.FindEvent(ctx, m.org.ID, l.EventID)
	if err != nil {
		return err
	}
	item := ci.AttendeeName + " · " + ci.TicketType + " · checked in " + formatTime(ci.At, ev.Location())
	if ci.By != "" {
		item += " by " + ci.By
	}
	return h.askConfirmation(c, confirmPage{Base: basePage{Active: "checkin"}, Title: "Undo check-in",
		Lead:   "Undo the check-in of " + ci.AttendeeName + " on " + l.Name + ": the ticket can be checked in again, by anyone who shows it.",
		Items:  []string{item},
		Action: back + "/checkins/" + strconv.FormatInt(id, 10) + "/undo", Button: "Undo check-in", Back: back, BackLabel: "Keep the check-in"})
}
