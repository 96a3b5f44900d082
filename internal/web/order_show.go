package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/admithq/admit/internal/admit"
)

type ticketView struct {
	ID            int64
	Code          string
	TicketType    string
	AttendeeName  string
	AttendeeEmail string
	Status        admit.TicketStatus
	QR            template.URL
	Answers       []admit.TicketAnswer
}

type orderPage struct {
	Base     basePage
	Event    *admit.Event
	EventURL string
	When     string
	Order    *admit.Order
	Token    string
	Lines    []lineView
	Total    string
	Discount string
	Tickets  []ticketView
	Paid     bool
	Pending  bool
	// Offline is how to pay a pending offline order, and by when.
	Offline       *admit.PaymentDetails
	PaymentNotice string
	Saved         bool
	// Expired: the order was cancelled because its payment was not in by
	// the due date.
	Expired      bool
	TicketsURL   string
	PDFURL       string
	CalendarURL  string
	AttendeesURL string
	Problems     admit.Problems
}

// loadOrder finds the order behind the buyer's private link.
func (h *Handler) loadOrder(c echo.Context) (*admit.Order, *admit.Event, *admit.Organization, error) {
	ctx := c.Request().Context()
	o, err := h.store.FindOrderForBuyer(ctx, c.Param("reference"), c.QueryParam("token"))
	if err != nil {
		return nil, nil, nil, err
	}
	ev, err := h.store.FindEvent(ctx, o.OrganizationID, o.EventID)
	if err != nil {
		return nil, nil, nil, err
	}
	org, err := h.store.FindOrganization(ctx, o.OrganizationID)
	if err != nil {
		return nil, nil, nil, err
	}
	return o, ev, org, nil
}

func (h *Handler) newOrderPage(c echo.Context, o *admit.Order, ev *admit.Event, org *admit.Organization, withQR bool) (orderPage, error) {
	q := "?token=" + url.QueryEscape(o.AccessToken)
	page := orderPage{
		Base: newBase(c), Event: ev, EventURL: "/e/" + org.Slug + "/" + ev.Slug, When: formatWhen(ev), Order: o,
		Token: o.AccessToken, Total: admit.FormatAmount(o.Total, o.Currency),
		Paid: o.Status == admit.OrderPaid, Pending: o.Status == admit.OrderPending,
		TicketsURL:   "/o/" + url.PathEscape(o.Reference) + "/tickets" + q,
		AttendeesURL: "/o/" + url.PathEscape(o.Reference) + "/attendees" + q,
		PDFURL:       "/o/" + url.PathEscape(o.Reference) + "/tickets.pdf" + q,
		CalendarURL:  "/o/" + url.PathEscape(o.Reference) + "/calendar.ics" + q,
	}
	page.Base.Home = page.EventURL
	page.Expired = o.Status == admit.OrderCancelled && !o.ExpiresAt.IsZero() && !o.ExpiresAt.After(h.now())
	if o.DiscountTotal > 0 {
		page.Discount = admit.FormatAmount(o.DiscountTotal, o.Currency)
	}
	if page.Pending && o.PaymentProvider == admit.PaymentOffline {
		d := admit.PaymentDetailsFor(ev, o, h.offline)
		page.Offline = &d
	}
	if c.QueryParam("payment") == "cancelled" && page.Pending {
		page.PaymentNotice = "The payment was cancelled. Your tickets stay reserved for a while; you can try again."
	}
	for _, l := range o.Lines {
		page.Lines = append(page.Lines, lineView{Name: l.Name, Quantity: l.Quantity,
			Unit: admit.FormatMoney(l.UnitPrice, o.Currency), Amount: admit.FormatMoney(l.UnitPrice*int64(l.Quantity), o.Currency)})
	}
	// The QR codes carry the codes signed with the event's key, which the
	// door's phone verifies offline.
	var key *admit.TicketKey
	for _, t := range o.Tickets {
		if withQR && key == nil && t.Status == admit.TicketValid {
			k, err := h.store.TicketKey(c.Request().Context(), o.OrganizationID, o.EventID)
			if err != nil {
				return page, err
			}
			key = k
		}
		v := ticketView{ID: t.ID, TicketType: t.TicketType, AttendeeName: t.AttendeeName, AttendeeEmail: t.AttendeeEmail, Status: t.Status, Answers: t.Answers}
		// Codes admit people: shown only once the order is paid.
		if t.Status == admit.TicketValid {
			v.Code = t.Code
			if withQR {
				png, err := qrcode.Encode(key.Sign(t.TicketTypeID, t.Code), qrcode.Medium, 256)
				if err != nil {
					return page, err
				}
				v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
			}
		}
		page.Tickets = append(page.Tickets, v)
	}
	return page, nil
}

// orderShow is the buyer's private order page: the confirmation after
// checkout, and where they come back to view, download and rename.
func (h *Handler) orderShow(c echo.Context) error {
	o, ev, org, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	page, err := h.newOrderPage(c, o, ev, org, true)
	if err != nil {
		return err
	}
	page.Saved = c.QueryParam("saved") == "1"
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return h.html(c, http.StatusOK, "order", page)
}

// ticketsPrint is a printable page with one ticket and QR code per attendee.
func (h *Handler) ticketsPrint(c echo.Context) error {
	o, ev, org, err := h.loadOrder(c)
	if err != nil {
		return err
	}
	if o.Status != admit.OrderPaid {
		return admit.Errorf(admit.ECONFLICT, "Tickets are issued once the order is paid.")
	}
	page, err := h.newOrderPage(c, o, ev, org, true)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return h.html(c, http.StatusOK, "tickets", page)
}
