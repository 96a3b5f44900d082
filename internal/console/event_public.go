package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// EventPublicStore is what the public page and payment settings need from
// storage.
type EventPublicStore interface {
	SetEventPublicSettings(ctx context.Context, orgID int64, e *admit.Event) error
}

// Previewer renders an event's public page as buyers will see it, whatever
// the event's status (internal/web).
type Previewer interface {
	PreviewEvent(c echo.Context, org *admit.Organization, ev *admit.Event) error
}

// eventPublicForm is the settings form as the organizer typed it.
type eventPublicForm struct {
	BannerURL, TermsURL                    string
	Payee, IBAN, BIC, PaymentText, DueDays string
}

type eventPublicPage struct {
	Base     basePage
	Event    *admit.Event
	Form     eventPublicForm
	Problems admit.Problems
}

func eventPublicFormOf(ev *admit.Event) eventPublicForm {
	p := ev.Payment
	return eventPublicForm{BannerURL: ev.BannerURL, TermsURL: ev.TermsURL, Payee: p.Payee, IBAN: admit.FormatIBAN(p.IBAN), BIC: p.BIC,
		PaymentText: p.Text, DueDays: strconv.Itoa(p.DueDays)}
}

// eventPublicShow is the form of what the event's public pages show beyond
// the event (banner, terms to accept) and what buyers paying offline are
// told (whom to pay, the account, how many days they have).
func (h *Handler) eventPublicShow(c echo.Context) error {
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "event_public", eventPublicPage{Base: h.base(c, "events"), Event: ev, Form: eventPublicFormOf(ev)})
}

// eventPublicUpdate stores the settings; a problem re-renders the form
// with the organizer's input and the problem next to its field.
func (h *Handler) eventPublicUpdate(c echo.Context) error {
	m := currentMember(c)
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	f := eventPublicForm{
		BannerURL: strings.TrimSpace(c.FormValue("banner_url")), TermsURL: strings.TrimSpace(c.FormValue("terms_url")),
		Payee: strings.TrimSpace(c.FormValue("payment_payee")), IBAN: strings.TrimSpace(c.FormValue("payment_iban")),
		BIC: strings.TrimSpace(c.FormValue("payment_bic")), DueDays: strings.TrimSpace(c.FormValue("payment_due_days")),
		PaymentText: strings.TrimSpace(strings.ReplaceAll(c.FormValue("payment_text"), "\r\n", "\n")),
	}
	changed := *ev
	changed.BannerURL, changed.TermsURL = f.BannerURL, f.TermsURL
	changed.Payment = admit.PaymentInstructions{Payee: f.Payee, IBAN: f.IBAN, BIC: f.BIC, Text: f.PaymentText}
	var problems admit.Problems
	if f.DueDays != "" {
		days, err := strconv.Atoi(f.DueDays)
		if err != nil {
			problems.Add("payment_due_days", "Enter a whole number of days, or 0 for no limit.")
		}
		changed.Payment.DueDays = days
	}
	if len(problems) == 0 {
		err := h.store.SetEventPublicSettings(c.Request().Context(), m.org.ID, &changed)
		if problems = eventInvalid(err); err != nil && len(problems) == 0 {
			return err
		}
	}
	if len(problems) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "event_public", eventPublicPage{Base: h.base(c, "events"), Event: ev, Form: f, Problems: problems})
	}
	h.audit(c, "event.public_settings", ev.Slug, ev.Name)
	return h.redirectWithFlash(c, eventURL(m, ev.ID), "Public page and payment settings saved.")
}

// eventPreview shows the event's public page to the organization's
// members, a draft included: the public address of a draft is 404 to
// everyone, so this is how an organizer checks it before publishing.
func (h *Handler) eventPreview(c echo.Context) error {
	if h.preview == nil {
		return admit.Errorf(admit.ENOTFOUND, "Preview is not available.")
	}
	ev, err := h.eventOfRequest(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	org := currentMember(c).org
	return h.preview.PreviewEvent(c, &org, ev)
}
