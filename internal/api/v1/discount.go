package v1

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/wire"
)

type v1DiscountCode struct {
	ID            int64      `json:"id"`
	EventID       int64      `json:"event_id"`
	Code          string     `json:"code"`
	Kind          string     `json:"kind"`
	Value         int64      `json:"value"`
	MaxUses       *int       `json:"max_uses"`
	Used          int        `json:"used"`
	ValidFrom     *time.Time `json:"valid_from"`
	ValidUntil    *time.Time `json:"valid_until"`
	TicketTypeIDs []int64    `json:"ticket_type_ids"`
}

func newV1DiscountCode(dc *admit.DiscountCode) v1DiscountCode {
	out := v1DiscountCode{ID: dc.ID, EventID: dc.EventID, Code: dc.Code, Kind: dc.Kind, Value: dc.Value, Used: dc.Used,
		ValidFrom: wire.TimePtr(dc.ValidFrom), ValidUntil: wire.TimePtr(dc.ValidUntil), TicketTypeIDs: append([]int64{}, dc.TicketTypeIDs...)}
	if dc.MaxUses > 0 {
		n := dc.MaxUses
		out.MaxUses = &n
	}
	return out
}

// v1DiscountCodesList lists the event's discount codes with their uses.
func (h *Handler) v1DiscountCodesList(c echo.Context) error {
	p, err := v1Page(c, false)
	if err != nil {
		return err
	}
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	codes, hasMore, err := h.v1.Store.ListDiscountCodesPage(c.Request().Context(), e.OrganizationID, e.ID, p)
	if err != nil {
		return err
	}
	out := make([]v1DiscountCode, 0, len(codes))
	for _, dc := range codes {
		out = append(out, newV1DiscountCode(dc))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(dc v1DiscountCode) int64 { return dc.ID }))
}

// v1DiscountCodeCreate adds a code to the event. value is basis points for
// kind percent (2500 is 25%) and minor units off each ticket for fixed.
func (h *Handler) v1DiscountCodeCreate(c echo.Context) error {
	var req struct {
		Code          string  `json:"code"`
		Kind          string  `json:"kind"`
		Value         int64   `json:"value"`
		MaxUses       *int    `json:"max_uses"`
		ValidFrom     *string `json:"valid_from"`
		ValidUntil    *string `json:"valid_until"`
		TicketTypeIDs []int64 `json:"ticket_type_ids"`
	}
	if err := api.Decode(c, &req, api.Rules{Strict: true}); err != nil {
		return err
	}
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	dc := &admit.DiscountCode{OrganizationID: e.OrganizationID, EventID: e.ID, Code: req.Code, Kind: req.Kind, Value: req.Value,
		TicketTypeIDs: req.TicketTypeIDs}
	var p admit.Problems
	if req.MaxUses != nil {
		if *req.MaxUses < 1 || *req.MaxUses > 10_000_000 {
			p.Add("max_uses", "max_uses must be a whole number from 1 to 10,000,000, or null for unlimited.")
		}
		dc.MaxUses = *req.MaxUses
	}
	dc.ValidFrom = parseTime(&p, "valid_from", req.ValidFrom)
	dc.ValidUntil = parseTime(&p, "valid_until", req.ValidUntil)
	if err := p.Err(); err != nil {
		return err
	}
	if err := h.v1.Store.CreateDiscountCode(c.Request().Context(), dc); err != nil {
		return err
	}
	h.v1Audit(c, "discount_code.created", dc.Code, e.Name)
	return c.JSON(http.StatusCreated, newV1DiscountCode(dc))
}

type v1Question struct {
	ID            int64    `json:"id"`
	EventID       int64    `json:"event_id"`
	Label         string   `json:"label"`
	Kind          string   `json:"kind"`
	Options       []string `json:"options"`
	Required      bool     `json:"required"`
	Position      int      `json:"position"`
	TicketTypeIDs []int64  `json:"ticket_type_ids"`
}

// v1QuestionsList lists the questions asked per ticket at the event's
// checkout; answers appear on tickets.
func (h *Handler) v1QuestionsList(c echo.Context) error {
	p, err := v1Page(c, false)
	if err != nil {
		return err
	}
	e, err := h.v1FindEvent(c)
	if err != nil {
		return err
	}
	questions, err := h.v1.Store.ListQuestions(c.Request().Context(), e.OrganizationID, e.ID)
	if err != nil {
		return err
	}
	page, hasMore := pageInMemory(questions, p, func(q *admit.Question) int64 { return q.ID })
	out := make([]v1Question, 0, len(page))
	for _, q := range page {
		out = append(out, v1Question{ID: q.ID, EventID: q.EventID, Label: q.Label, Kind: q.Kind, Options: append([]string{}, q.Options...),
			Required: q.Required, Position: q.Position, TicketTypeIDs: append([]int64{}, q.TicketTypeIDs...)})
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(q v1Question) int64 { return q.ID }))
}
