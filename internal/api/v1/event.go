package v1

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/wire"
)

type v1Me struct {
	Organization v1Organization `json:"organization"`
	Token        v1TokenInfo    `json:"token"`
	Scopes       []string       `json:"scopes"`
}

type v1Organization struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type v1TokenInfo struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
}

// v1Me tells an integration which organization its token acts for and
// what it may do.
func (h *Handler) v1Me(c echo.Context) error {
	tok := v1Token(c)
	return c.JSON(http.StatusOK, v1Me{
		Organization: v1Organization{ID: tok.Organization.ID, Slug: tok.Organization.Slug, Name: tok.Organization.Name},
		Token:        v1TokenInfo{ID: tok.ID, Name: tok.Name, Prefix: tok.Prefix},
		Scopes:       append([]string{}, tok.Scopes...),
	})
}

type v1Event struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Venue       string     `json:"venue"`
	Address     string     `json:"address"`
	TimeZone    string     `json:"time_zone"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      *time.Time `json:"ends_at"`
	Currency    string     `json:"currency"`
	Status      string     `json:"status"`
	HoldMinutes int        `json:"hold_minutes"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func newV1Event(e *admit.Event) v1Event {
	return v1Event{ID: e.ID, Slug: e.Slug, Name: e.Name, Description: e.Description, Venue: e.Venue, Address: e.Address,
		TimeZone: e.TimeZone, StartsAt: e.StartsAt.UTC(), EndsAt: wire.TimePtr(e.EndsAt), Currency: e.Currency, Status: string(e.Status),
		HoldMinutes: e.HoldMinutes, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
}

// v1EventsList lists the organization's events, drafts and archived ones
// included.
func (h *Handler) v1EventsList(c echo.Context) error {
	p, err := v1Page(c, true)
	if err != nil {
		return err
	}
	events, hasMore, err := h.v1.Store.ListEventsPage(c.Request().Context(), v1Token(c).OrganizationID, p)
	if err != nil {
		return err
	}
	out := make([]v1Event, 0, len(events))
	for _, e := range events {
		out = append(out, newV1Event(e))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(e v1Event) int64 { return e.ID }))
}

// v1FindEvent returns the token's organization's event named in the path, or
// ENOTFOUND: another organization's event is exactly like a missing one.
func (h *Handler) v1FindEvent(c echo.Context) (*admit.Event, error) {
	id, err := v1ID(c, "event", "Event")
	if err != nil {
		return nil, err
	}
	return h.v1.Store.FindEvent(c.Request().Context(), v1Token(c).OrganizationID, id)
}

func (h *Handler) v1EventShow(c echo.Context) error {
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newV1Event(e))
}

type v1TicketType struct {
	ID          int64      `json:"id"`
	EventID     int64      `json:"event_id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Price       int64      `json:"price"`
	Currency    string     `json:"currency"`
	Quantity    int        `json:"quantity"`
	Reserved    int        `json:"reserved"`
	Sold        int        `json:"sold"`
	Available   int        `json:"available"`
	SalesStart  *time.Time `json:"sales_start"`
	SalesEnd    *time.Time `json:"sales_end"`
	MinPerOrder int        `json:"min_per_order"`
	MaxPerOrder int        `json:"max_per_order"`
	Position    int        `json:"position"`
	Hidden      bool       `json:"hidden"`
}

func newV1TicketType(t *admit.TicketType, currency string) v1TicketType {
	return v1TicketType{ID: t.ID, EventID: t.EventID, Name: t.Name, Description: t.Description, Price: t.Price, Currency: currency,
		Quantity: t.Quantity, Reserved: t.Reserved, Sold: t.Sold, Available: t.Remaining(), SalesStart: wire.TimePtr(t.SalesStart),
		SalesEnd: wire.TimePtr(t.SalesEnd), MinPerOrder: t.MinPerOrder, MaxPerOrder: t.MaxPerOrder, Position: t.Position, Hidden: t.Hidden}
}

// v1TicketTypesList lists the event's ticket types, hidden ones included,
// with the ledger's counters.
func (h *Handler) v1TicketTypesList(c echo.Context) error {
	p, err := v1Page(c, false)
	if err != nil {
		return err
	}
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	types, err := h.v1.Store.ListTicketTypes(c.Request().Context(), e.OrganizationID, e.ID, true)
	if err != nil {
		return err
	}
	page, hasMore := pageInMemory(types, p, func(t *admit.TicketType) int64 { return t.ID })
	out := make([]v1TicketType, 0, len(page))
	for _, t := range page {
		out = append(out, newV1TicketType(t, e.Currency))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(t v1TicketType) int64 { return t.ID }))
}

func (h *Handler) v1TicketTypeShow(c echo.Context) error {
	id, err := v1ID(c, "ticket_type", "Ticket type")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	org := v1Token(c).OrganizationID
	t, err := h.v1.Store.FindTicketTypeByID(ctx, org, id)
	if err != nil {
		return err
	}
	e, err := h.v1.Store.FindEvent(ctx, org, t.EventID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newV1TicketType(t, e.Currency))
}
