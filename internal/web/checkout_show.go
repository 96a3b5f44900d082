package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
)

// answerInput names the form field of attendee i's answer to question qid.
func answerInput(i int, qid int64) string {
	return "attendee_" + strconv.Itoa(i) + "_q_" + strconv.FormatInt(qid, 10)
}

type lineView struct {
	Name     string
	Quantity int
	Unit     string
	Amount   string
}

type attendeeField struct {
	Index      int
	Number     int
	TicketType string
	Name       string
	Email      string
	NameError  string
	EmailError string
	Questions  []questionField
}

type questionField struct {
	Name     string // the form field
	Label    string
	Kind     string
	Options  []string
	Required bool
	Value    string
	Problem  string
}

type checkoutPage struct {
	Base           basePage
	Event          *admit.Event
	EventURL       string
	Hold           *admit.Hold
	Lines          []lineView
	Total          string
	Discount       string
	DiscountCode   string
	Free           bool
	ExpiresISO     string
	ExpiresLocal   string
	SecondsLeft    int
	Attendees      []attendeeField
	Form           admit.OrderRequest
	Problems       admit.Problems
	Problem        string
	PaymentMethods []paymentOption
}

type paymentOption struct {
	Value, Label, Help string
	Checked            bool
}

// loadCheckout finds the hold for the buyer's checkout. A hold of another
// buyer is not found: its id alone does not let anyone else use it.
func (h *Handler) loadCheckout(c echo.Context) (*admit.Hold, *admit.Event, error) {
	ctx := c.Request().Context()
	hold, err := h.store.FindHold(ctx, c.Param("hold"))
	if err != nil {
		return nil, nil, err
	}
	// A hold answers to the buyer whose cookie made it. One made through
	// the API answers only to its secret, never to a page (its id may have
	// leaked through a log); one made for a waiting-list offer has neither
	// and answers to the link the email sent.
	if !hold.AnswersTo("", buyerID(c)) && (hold.ClientKey != "" || len(hold.SecretHash) > 0) {
		return nil, nil, admit.Errorf(admit.ENOTFOUND, "This checkout does not exist. Start again from the event page.")
	}
	ev, err := h.store.FindEvent(ctx, hold.OrganizationID, hold.EventID)
	if err != nil {
		return nil, nil, err
	}
	noteEvent(c, ev)
	return hold, ev, nil
}

// checkoutShow is the details step: what is held, for how long, and the
// buyer's and attendees' names.
func (h *Handler) checkoutShow(c echo.Context) error {
	hold, ev, err := h.loadCheckout(c)
	if err != nil {
		return err
	}
	if hold.Status == admit.HoldConverted {
		o, err := h.store.FindOrderByHold(c.Request().Context(), hold.ID)
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, h.checkout.OrderURL(o))
	}
	if !hold.Live() {
		return h.expiredCheckout(c, ev)
	}
	return h.renderCheckout(c, http.StatusOK, hold, ev, admit.OrderRequest{}, nil, "")
}

func (h *Handler) expiredCheckout(c echo.Context, ev *admit.Event) error {
	return admit.Errorf(admit.EEXPIRED, "Your hold on these tickets has expired and they were released. Choose your tickets again on the event page.")
}

func (h *Handler) renderCheckout(c echo.Context, status int, hold *admit.Hold, ev *admit.Event, form admit.OrderRequest, problems admit.Problems, problem string) error {
	types, err := h.store.ListTicketTypes(c.Request().Context(), ev.OrganizationID, ev.ID, true)
	if err != nil {
		return err
	}
	byID := map[int64]*admit.TicketType{}
	for _, t := range types {
		byID[t.ID] = t
	}
	page := checkoutPage{
		Base: newBase(c), Event: ev, Hold: hold, Form: form, Problems: problems, Problem: problem,
		ExpiresISO:   hold.ExpiresAt.UTC().Format(time.RFC3339),
		ExpiresLocal: time.Now().Add(hold.ExpiresIn).In(ev.Location()).Format("15:04"),
		SecondsLeft:  int(hold.ExpiresIn / time.Second),
	}
	ctx := c.Request().Context()
	var dc *admit.DiscountCode
	if hold.DiscountCodeID != 0 {
		var err error
		if dc, err = h.store.FindDiscountCodeByID(ctx, ev.OrganizationID, hold.DiscountCodeID); err != nil {
			return err
		}
		page.DiscountCode = dc.Code
	}
	questions, err := h.checkout.Questions(ctx, ev.OrganizationID, ev.ID)
	if err != nil {
		return err
	}
	var total, discount int64
	i := 0
	for _, it := range hold.Items {
		t := byID[it.TicketTypeID]
		if t == nil {
			continue
		}
		price := t.Price
		if dc != nil && dc.AppliesTo(t.ID) {
			price = dc.Discounted(t.Price)
			discount += (t.Price - price) * int64(it.Quantity)
		}
		total += price * int64(it.Quantity)
		page.Lines = append(page.Lines, lineView{Name: t.Name, Quantity: it.Quantity,
			Unit: admit.FormatMoney(t.Price, ev.Currency), Amount: admit.FormatMoney(t.Price*int64(it.Quantity), ev.Currency)})
		for range it.Quantity {
			a := attendeeField{Index: i, Number: i + 1, TicketType: t.Name}
			if i < len(form.Attendees) {
				a.Name, a.Email = form.Attendees[i].Name, form.Attendees[i].Email
			}
			a.NameError = problems.For("attendees[" + strconv.Itoa(i) + "].name")
			a.EmailError = problems.For("attendees[" + strconv.Itoa(i) + "].email")
			for _, q := range questions {
				if !q.AskedFor(t.ID) {
					continue
				}
				qf := questionField{Name: answerInput(i, q.ID), Label: q.Label, Kind: q.Kind, Options: q.Options,
					Required: q.Required, Problem: problems.For(checkout.AnswerField(i, q.ID))}
				if i < len(form.Attendees) {
					qf.Value = form.Attendees[i].Answers[q.ID]
				}
				a.Questions = append(a.Questions, qf)
			}
			page.Attendees = append(page.Attendees, a)
			i++
		}
	}
	if discount > 0 {
		page.Discount = "−" + admit.FormatAmount(discount, ev.Currency)
	}
	page.Total = admit.FormatAmount(total, ev.Currency)
	page.Free = total == 0
	if !page.Free {
		for _, m := range h.checkout.PaymentMethods() {
			opt := paymentOption{Value: m, Checked: form.PaymentMethod == m}
			switch m {
			case admit.PaymentStripe:
				opt.Label, opt.Help = "Card", "Pay securely on Stripe's page; we never see your card."
			case admit.PaymentOffline:
				opt.Label, opt.Help = "Bank transfer or pay at the door", h.offline
			default:
				opt.Label = m
			}
			page.PaymentMethods = append(page.PaymentMethods, opt)
		}
		if len(page.PaymentMethods) == 1 {
			page.PaymentMethods[0].Checked = true
		}
	}
	org, err := h.store.FindOrganization(c.Request().Context(), ev.OrganizationID)
	if err != nil {
		return err
	}
	page.EventURL = "/e/" + org.Slug + "/" + ev.Slug
	body, err := h.pages.Render("checkout", page)
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, body)
}
