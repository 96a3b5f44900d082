package console

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type orderRow struct {
	Order *admit.Order
	Total string
	When  string
	Event string
}

type ordersPage struct {
	Base     basePage
	Rows     []orderRow
	Query    string
	Status   string
	EventID  int64
	Events   []*admit.Event
	Total    int
	Page     int
	PrevURL  string
	NextURL  string
	Statuses []string
}

const ordersPerPage = 50

// ordersList searches the organization's orders by reference, name or email,
// filtered by event and status, 50 to a page.
func (h *Handler) ordersList(c echo.Context) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	page := ordersPage{Base: h.base(c, "orders"), Query: c.QueryParam("q"), Status: c.QueryParam("status"),
		Statuses: []string{"pending", "paid", "cancelled", "refunded"}}
	if len(page.Query) > 200 {
		page.Query = page.Query[:200]
	}
	switch page.Status {
	case "", "pending", "paid", "cancelled", "refunded":
	default:
		page.Status = ""
	}
	page.EventID, _ = strconv.ParseInt(c.QueryParam("event"), 10, 64)
	page.Page, _ = strconv.Atoi(c.QueryParam("page"))
	if page.Page < 1 || page.Page > 100000 {
		page.Page = 1
	}
	events, err := h.store.ListEvents(ctx, m.org.ID)
	if err != nil {
		return err
	}
	page.Events = events
	names, zones := map[int64]string{}, map[int64]*time.Location{}
	for _, ev := range events {
		names[ev.ID], zones[ev.ID] = ev.Name, ev.Location()
	}
	orders, total, err := h.store.ListOrders(ctx, m.org.ID, admit.OrderFilter{EventID: page.EventID, Status: admit.OrderStatus(page.Status),
		Query: page.Query, Limit: ordersPerPage, Offset: (page.Page - 1) * ordersPerPage})
	if err != nil {
		return err
	}
	page.Total = total
	for _, o := range orders {
		page.Rows = append(page.Rows, orderRow{Order: o, Total: admit.FormatMoney(o.Total, o.Currency),
			When: formatTime(o.CreatedAt, cmp.Or(zones[o.EventID], time.UTC)), Event: names[o.EventID]})
	}
	link := func(p int) string {
		q := url.Values{"q": {page.Query}, "status": {page.Status}, "page": {strconv.Itoa(p)}}
		if page.EventID != 0 {
			q.Set("event", strconv.FormatInt(page.EventID, 10))
		}
		return "/console/" + m.org.Slug + "/orders?" + q.Encode()
	}
	if page.Page > 1 {
		page.PrevURL = link(page.Page - 1)
	}
	if page.Page*ordersPerPage < total {
		page.NextURL = link(page.Page + 1)
	}
	return h.html(c, http.StatusOK, "orders", page)
}
