package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// orderCreate submits the details form. The hold is the form's server-issued
// idempotency key: one hold becomes at most one order, so a double click or a
// resubmitted form lands on the same order.
func (h *Handler) orderCreate(c echo.Context) error {
	hold, ev, err := h.loadCheckout(c)
	if err != nil {
		return err
	}
	req := admit.OrderRequest{
		BuyerName:     c.FormValue("buyer_name"),
		BuyerEmail:    c.FormValue("buyer_email"),
		PaymentMethod: c.FormValue("payment_method"),
	}
	questions, err := h.checkout.Questions(c.Request().Context(), ev.OrganizationID, ev.ID)
	if err != nil {
		return err
	}
	for i := range hold.Quantity() {
		n := strconv.Itoa(i)
		a := admit.Attendee{Name: c.FormValue("attendee_" + n + "_name"), Email: c.FormValue("attendee_" + n + "_email"), Answers: map[int64]string{}}
		for _, q := range questions {
			a.Answers[q.ID] = c.FormValue(answerInput(i, q.ID))
		}
		req.Attendees = append(req.Attendees, a)
	}
	if ev.TermsURL != "" && c.FormValue("accept_terms") == "" {
		// Consent is asked before anything is placed; the other fields'
		// problems are named with it, so the buyer fixes all at once.
		problems := admit.ProblemsOf(req.Validate(hold.Quantity()))
		problems = append(problems, admit.Problem{Field: "accept_terms", Message: "Please accept the terms to place your order."})
		req.Normalize()
		return h.renderCheckout(c, http.StatusUnprocessableEntity, hold, ev, req, problems, problemMessage(problems))
	}
	placed, err := h.checkout.PlaceOrderFor(c.Request().Context(), hold, req)
	if admit.ErrorCode(err) == admit.EEXPIRED {
		if hold, err := h.store.FindHold(c.Request().Context(), hold.ID); err == nil {
			return h.expiredCheckout(c, hold, ev)
		}
	}
	if err != nil {
		var de *admit.Error
		if errors.As(err, &de) && (de.Code == admit.EINVALID || de.Code == admit.EUNAVAILABLE) {
			problems := admit.Problems(de.Problems)
			if len(problems) == 0 && de.Field != "" {
				problems = admit.Problems{{Field: de.Field, Message: de.Message}}
			}
			hold, err := h.store.FindHold(c.Request().Context(), hold.ID)
			if err != nil {
				return err
			}
			req.Normalize()
			message := de.Message
			if len(problems) > 0 {
				message = problemMessage(problems)
			}
			return h.renderCheckout(c, http.StatusUnprocessableEntity, hold, ev, req, problems, message)
		}
		return err
	}
	if placed.RedirectURL != "" {
		return c.Redirect(http.StatusSeeOther, placed.RedirectURL)
	}
	return c.Redirect(http.StatusSeeOther, h.checkout.OrderURL(placed.Order))
}

// problemMessage heads the list of the form's problems.
func problemMessage(problems admit.Problems) string {
	if len(problems) == 1 {
		return "Please correct the problem marked below."
	}
	return "Please correct the " + strconv.Itoa(len(problems)) + " problems marked below."
}

// holdCancel gives the held tickets back at once and returns to the event.
func (h *Handler) holdCancel(c echo.Context) error {
	hold, ev, err := h.loadCheckout(c)
	if err != nil {
		return err
	}
	if err := h.checkout.CancelHold(c.Request().Context(), hold.ID); err != nil {
		return err
	}
	org, err := h.store.FindOrganization(c.Request().Context(), ev.OrganizationID)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/e/"+org.Slug+"/"+ev.Slug)
}
