package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
	// Summary lists every problem with a link to its field, for the box
	// at the top that screen readers announce.
	Summary []summaryItem
	// TermsAccepted is the consent box as the buyer left it.
	TermsAccepted bool
}

// summaryItem is one problem of the form, linked to its field (empty: a
// problem of the whole form).
type summaryItem struct {
	FieldID, Message string
}

type paymentOption struct {
	Value, Label, Help string
	Checked            bool
}

// summaryContext says which part of the form a problem is in, so that two
// "Name is required." in the summary say whose name.
func summaryContext(field string) string {
	var i int
	switch {
	case strings.HasPrefix(field, "buyer_"):
		return "Buyer: "
	case field == "payment_method":
		return "Payment: "
	case strings.HasPrefix(field, "attendees["):
		if n, _ := fmt.Sscanf(field, "attendees[%d]", &i); n == 1 {
			return "Ticket " + strconv.Itoa(i+1) + ": "
		}
	}
	return ""
}

// fieldID is the id of the input the problem with field is about, as the
// checkout form names them.
func fieldID(field string) string {
	var i int
	var qid int64
	switch {
	case field == "attendees":
		return ""
	case field == "payment_method":
		return "payment_method_first"
	case strings.HasPrefix(field, "attendees["):
		if n, _ := fmt.Sscanf(field, "attendees[%d].answers[%d]", &i, &qid); n == 2 {
			return answerInput(i, qid)
		}
		var part string
		if n, _ := fmt.Sscanf(field, "attendees[%d].%s", &i, &part); n == 2 {
			return "attendee_" + strconv.Itoa(i) + "_" + part
		}
		return ""
	}
	return field
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
		return h.expiredCheckout(c, hold, ev)
	}
	return h.renderCheckout(c, http.StatusOK, hold, ev, admit.OrderRequest{}, nil, "")
}

// expiredCheckout is the page of a checkout that is over: the buyer
// cancelled it (released before its time ran out) or its time ran out. It
// says which, and leads back to the event, not to the start.
func (h *Handler) expiredCheckout(c echo.Context, hold *admit.Hold, ev *admit.Event) error {
	org, err := h.store.FindOrganization(c.Request().Context(), ev.OrganizationID)
	if err != nil {
		return err
	}
	p := errorPage{Status: http.StatusGone, Heading: "This checkout has expired",
		Message: "Your hold on these tickets ran out and they were released for other buyers. Choose your tickets again on the event page.",
		Link:    "/e/" + org.Slug + "/" + ev.Slug, LinkText: "Back to " + ev.Name}
	if hold.Status == admit.HoldReleased && hold.ExpiresIn > 0 {
		p.Heading = "This checkout was cancelled"
		p.Message = "The tickets it held were released for other buyers. You can choose tickets again on the event page."
	}
	return h.renderError(c, p)
}

// offlineSummary tells a buyer choosing offline payment what to expect:
// the full instructions follow on the order page and in the email.
func offlineSummary(p admit.PaymentInstructions) string {
	s := "You get the payment details after placing the order"
	if p.IBAN != "" {
		s = "Pay by bank transfer"
		if p.Payee != "" {
			s += " to " + p.Payee
		}
		s += "; the account details follow after placing the order"
	}
	if p.DueDays > 0 {
		s += ", to be paid within " + strconv.Itoa(p.DueDays) + " days"
		if p.DueDays == 1 {
			s = strings.TrimSuffix(s, "1 days") + "a day"
		}
	}
	return s + ". Your tickets are issued once the payment has arrived."
}

func (h *Handler) renderCheckout(c echo.Context, status int, hold *admit.Hold, ev *admit.Event, form admit.OrderRequest, problems admit.Problems, problem string) error {
	byID, err := h.ticketTypesByID(c.Request().Context(), ev)
	if err != nil {
		return err
	}
	page := checkoutPage{
		Base: newBase(c), Event: ev, Hold: hold, Form: form, Problems: problems, Problem: problem,
		TermsAccepted: c.FormValue("accept_terms") != "",
		ExpiresISO:    hold.ExpiresAt.UTC().Format(time.RFC3339),
		ExpiresLocal:  time.Now().Add(hold.ExpiresIn).In(ev.Location()).Format("15:04"),
		SecondsLeft:   int(hold.ExpiresIn / time.Second),
	}
	ctx := c.Request().Context()
	dc, err := h.holdDiscount(ctx, ev, hold)
	if err != nil {
		return err
	}
	if dc != nil {
		page.DiscountCode = dc.Code
	}
	questions, err := h.checkout.Questions(ctx, ev.OrganizationID, ev.ID)
	if err != nil {
		return err
	}
	total, discount := page.addLines(hold, byID, dc, questions, form, problems)
	if discount > 0 {
		page.Discount = "−" + admit.FormatAmount(discount, ev.Currency)
	}
	page.Total = admit.FormatAmount(total, ev.Currency)
	page.Free = total == 0
	if !page.Free {
		page.PaymentMethods = h.paymentOptions(form.PaymentMethod, ev.Payment)
	}
	org, err := h.store.FindOrganization(c.Request().Context(), ev.OrganizationID)
	if err != nil {
		return err
	}
	page.EventURL = "/e/" + org.Slug + "/" + ev.Slug
	page.Base.Home = page.EventURL
	for _, p := range problems {
		page.Summary = append(page.Summary, summaryItem{FieldID: fieldID(p.Field), Message: summaryContext(p.Field) + p.Message})
	}
	body, err := h.pages.Render("checkout", page)
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, body)
}

// addLines fills the page's order lines and one attendee block per ticket,
// with the questions asked for its type and what the form sent, and
// returns the total and the discount in minor units.
func (page *checkoutPage) addLines(hold *admit.Hold, byID map[int64]*admit.TicketType, dc *admit.DiscountCode, questions []*admit.Question,
	form admit.OrderRequest, problems admit.Problems) (total, discount int64) {
	ev := page.Event
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
	return total, discount
}

// holdDiscount is the discount code the hold was taken with, or nil.
func (h *Handler) holdDiscount(ctx context.Context, ev *admit.Event, hold *admit.Hold) (*admit.DiscountCode, error) {
	if hold.DiscountCodeID == 0 {
		return nil, nil
	}
	return h.store.FindDiscountCodeByID(ctx, ev.OrganizationID, hold.DiscountCodeID)
}

// ticketTypesByID are the event's ticket types, hidden ones included (a
// hold may be for one reached by a code), by id.
func (h *Handler) ticketTypesByID(ctx context.Context, ev *admit.Event) (map[int64]*admit.TicketType, error) {
	types, err := h.store.ListTicketTypes(ctx, ev.OrganizationID, ev.ID, true)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*admit.TicketType{}
	for _, t := range types {
		byID[t.ID] = t
	}
	return byID, nil
}

// paymentOptions are the enabled payment methods as the form offers them,
// chosen is checked; a lone method is checked for the buyer.
func (h *Handler) paymentOptions(chosen string, pay admit.PaymentInstructions) []paymentOption {
	var opts []paymentOption
	for _, m := range h.checkout.PaymentMethods() {
		opt := paymentOption{Value: m, Checked: chosen == m}
		switch m {
		case admit.PaymentStripe:
			opt.Label, opt.Help = "Card", "Pay securely on Stripe's page; we never see your card."
		case admit.PaymentOffline:
			opt.Label, opt.Help = "Bank transfer or pay at the door", h.offline
			if !pay.IsZero() {
				opt.Label, opt.Help = "Pay offline", offlineSummary(pay)
			}
		default:
			opt.Label = m
		}
		opts = append(opts, opt)
	}
	if len(opts) == 1 {
		opts[0].Checked = true
	}
	return opts
}
