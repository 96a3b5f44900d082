package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type discountRow struct {
	Code  *admit.DiscountCode
	Value string
	Uses  string
	Types string
}

type discountsPage struct {
	Base     basePage
	Event    *admit.Event
	Types    []*admit.TicketType
	Codes    []discountRow
	Form     discountForm
	Problems admit.Problems
}

type discountForm struct {
	Code, Kind, Value, MaxUses, ValidFrom, ValidUntil string
	TicketTypes                                       map[int64]bool
}

func (h *Handler) loadEvent(c echo.Context) (*admit.Event, error) {
	id, err := strconv.ParseInt(c.Param("event"), 10, 64)
	if err != nil {
		return nil, admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	return h.store.FindEvent(c.Request().Context(), currentMember(c).org.ID, id)
}

// discountsShow lists the event's discount codes with their uses and a form
// to add one.
func (h *Handler) discountsShow(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	return h.renderDiscounts(c, http.StatusOK, ev, discountForm{Kind: admit.DiscountPercent}, nil)
}

func (h *Handler) renderDiscounts(c echo.Context, status int, ev *admit.Event, form discountForm, problems admit.Problems) error {
	ctx := c.Request().Context()
	m := currentMember(c)
	types, err := h.store.ListTicketTypes(ctx, m.org.ID, ev.ID, true)
	if err != nil {
		return err
	}
	codes, err := h.store.ListDiscountCodes(ctx, m.org.ID, ev.ID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	page := discountsPage{Base: h.base(c, "events"), Event: ev, Types: types, Form: form, Problems: problems}
	for _, dc := range codes {
		row := discountRow{Code: dc, Uses: strconv.Itoa(dc.Used)}
		if dc.Kind == admit.DiscountPercent {
			row.Value = strconv.FormatFloat(float64(dc.Value)/100, 'f', -1, 64) + "%"
		} else {
			row.Value = admit.FormatAmount(dc.Value, ev.Currency) + " per ticket"
		}
		if dc.MaxUses > 0 {
			row.Uses += " of " + strconv.Itoa(dc.MaxUses)
		}
		var tn []string
		for _, id := range dc.TicketTypeIDs {
			tn = append(tn, names[id])
		}
		row.Types = strings.Join(tn, ", ")
		if row.Types == "" {
			row.Types = "all"
		}
		page.Codes = append(page.Codes, row)
	}
	return h.html(c, status, "discounts", page)
}

// discountCreate adds a code from the form.
func (h *Handler) discountCreate(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	form := discountForm{Code: c.FormValue("code"), Kind: c.FormValue("kind"), Value: strings.TrimSpace(c.FormValue("value")),
		MaxUses: strings.TrimSpace(c.FormValue("max_uses")), ValidFrom: c.FormValue("valid_from"), ValidUntil: c.FormValue("valid_until"),
		TicketTypes: map[int64]bool{}}
	dc := &admit.DiscountCode{OrganizationID: m.org.ID, EventID: ev.ID, Code: form.Code, Kind: form.Kind}
	var p admit.Problems
	switch form.Kind {
	case admit.DiscountPercent:
		if v, err := admit.ParseAmount(form.Value, 2); err != nil {
			p.Add("value", "Enter a percentage such as 25 or 12.5.")
		} else {
			dc.Value = v
		}
	case admit.DiscountFixed:
		if v, err := admit.ParseAmount(form.Value, admit.CurrencyExponent(ev.Currency)); err != nil {
			p.Add("value", "Enter an amount such as 10.00.")
		} else {
			dc.Value = v
		}
	}
	if form.MaxUses != "" {
		n, err := strconv.Atoi(form.MaxUses)
		if err != nil || n < 1 || n > 10_000_000 {
			p.Add("max_uses", "A whole number of uses, or empty for unlimited.")
		}
		dc.MaxUses = n
	}
	loc := ev.Location()
	for field, target := range map[string]*time.Time{"valid_from": &dc.ValidFrom, "valid_until": &dc.ValidUntil} {
		v := strings.TrimSpace(c.FormValue(field))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
		if err != nil {
			p.Add(field, "Enter a date and time.")
			continue
		}
		*target = t
	}
	for _, v := range c.Request().PostForm["ticket_types"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			p.Add("ticket_types", "Choose ticket types from the list.")
			break
		}
		dc.TicketTypeIDs = append(dc.TicketTypeIDs, id)
		form.TicketTypes[id] = true
	}
	if len(p) == 0 {
		if err := h.store.CreateDiscountCode(c.Request().Context(), dc); err != nil {
			var ok bool
			if p, ok = problemsOf(err); !ok {
				return err
			}
		}
	}
	if len(p) > 0 {
		return h.renderDiscounts(c, http.StatusUnprocessableEntity, ev, form, p)
	}
	h.audit(c, "discount_code.created", dc.Code, ev.Name)
	msg := "Code " + dc.Code + " created."
	if dc.Guessable() {
		msg += " It is short and easy to guess: anyone with many addresses can find it, with the hidden ticket types it unlocks. Prefer " +
			strconv.Itoa(admit.GuessableCodeLength) + " or more random letters and digits."
	}
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/events/"+strconv.FormatInt(ev.ID, 10)+"/discounts", msg)
}

// discountDelete removes an unused code.
func (h *Handler) discountDelete(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	id, err := strconv.ParseInt(c.Param("code"), 10, 64)
	if err != nil {
		return admit.Errorf(admit.ENOTFOUND, "Discount code not found.")
	}
	to := "/console/" + m.org.Slug + "/events/" + strconv.FormatInt(ev.ID, 10) + "/discounts"
	if err := h.store.DeleteDiscountCode(c.Request().Context(), m.org.ID, id); err != nil {
		if admit.ErrorCode(err) == admit.ECONFLICT {
			return h.redirectWithFlash(c, to, admit.ErrorMessage(err))
		}
		return err
	}
	h.audit(c, "discount_code.deleted", strconv.FormatInt(id, 10), ev.Name)
	return h.redirectWithFlash(c, to, "Code deleted.")
}

// problemsOf returns the field problems of an EINVALID error, and false for
// any other error.
func problemsOf(err error) (admit.Problems, bool) {
	var de *admit.Error
	if !errors.As(err, &de) || de.Code != admit.EINVALID {
		return nil, false
	}
	if len(de.Problems) > 0 {
		return de.Problems, true
	}
	return admit.Problems{{Field: de.Field, Message: de.Message}}, true
}
