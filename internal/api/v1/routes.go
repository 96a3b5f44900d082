package v1

import (
	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// v1Prefix is where the API lives; its OpenAPI document names every route.
const v1Prefix = "/api/v1"

// Register adds the integrators' API to e: every route, its scope, and
// the middleware every route runs (token, rate limit, scope, idempotency).
func (h *Handler) Register(e *echo.Echo) {
	if h.v1.Store == nil {
		return
	}
	e.GET(v1Prefix+"/openapi.json", h.v1OpenAPI)
	read, write, checkIn := admit.ScopeRead, admit.ScopeWrite, admit.ScopeCheckIn
	for _, r := range []struct {
		method, path string
		handler      echo.HandlerFunc
		scopes       []string // any one of them will do
	}{
		{"GET", "/me", h.v1Me, admit.APIScopes},

		{"GET", "/events", h.v1EventsList, []string{read}},
		{"GET", "/events/:event", h.v1EventShow, []string{read}},
		{"GET", "/events/:event/ticket-types", h.v1TicketTypesList, []string{read}},
		{"GET", "/ticket-types/:ticket_type", h.v1TicketTypeShow, []string{read}},

		{"GET", "/orders", h.v1OrdersList, []string{read}},
		{"POST", "/orders", h.v1OrderCreate, []string{write}},
		{"GET", "/orders/:order", h.v1OrderShow, []string{read}},
		{"POST", "/orders/:order/cancel", h.v1OrderCancel, []string{write}},
		{"POST", "/orders/:order/mark-paid", h.v1OrderMarkPaid, []string{write}},
		{"POST", "/orders/:order/refund", h.v1OrderRefund, []string{write}},

		{"GET", "/events/:event/tickets", h.v1TicketsList, []string{read}},
		{"GET", "/tickets/:ticket", h.v1TicketShow, []string{read}},
		{"PATCH", "/tickets/:ticket", h.v1TicketUpdate, []string{write}},
		{"POST", "/tickets/:ticket/void", h.v1TicketVoid, []string{write}},

		{"GET", "/events/:event/checkin-lists", h.v1CheckInListsList, []string{read, checkIn}},
		{"GET", "/checkin-lists/:list", h.v1CheckInListShow, []string{read, checkIn}},
		{"GET", "/checkin-lists/:list/tickets", h.v1CheckInListTickets, []string{read, checkIn}},
		{"GET", "/checkin-lists/:list/checkins", h.v1CheckInsList, []string{read, checkIn}},
		{"POST", "/checkin-lists/:list/checkins", h.v1CheckInCreate, []string{checkIn}},
		{"DELETE", "/checkin-lists/:list/checkins/:checkin", h.v1CheckInDelete, []string{checkIn}},

		{"GET", "/events/:event/discount-codes", h.v1DiscountCodesList, []string{read}},
		{"POST", "/events/:event/discount-codes", h.v1DiscountCodeCreate, []string{write}},
		{"GET", "/events/:event/questions", h.v1QuestionsList, []string{read}},

		{"GET", "/events/:event/waitlist", h.v1WaitlistList, []string{read}},
		{"POST", "/waitlist/:entry/offer", h.v1WaitlistOffer, []string{write}},

		{"POST", "/exports", h.v1ExportCreate, []string{write}},
		{"GET", "/exports/:export", h.v1ExportShow, []string{read}},
		{"GET", "/exports/:export/download", h.v1ExportDownload, []string{read}},

		{"GET", "/webhook-endpoints", h.v1WebhookEndpointsList, []string{read}},
		{"POST", "/webhook-endpoints", h.v1WebhookEndpointCreate, []string{write}},
		{"GET", "/webhook-endpoints/:endpoint", h.v1WebhookEndpointShow, []string{read}},
		{"PATCH", "/webhook-endpoints/:endpoint", h.v1WebhookEndpointUpdate, []string{write}},
		{"DELETE", "/webhook-endpoints/:endpoint", h.v1WebhookEndpointDelete, []string{write}},
		{"GET", "/webhook-endpoints/:endpoint/deliveries", h.v1WebhookDeliveriesList, []string{read}},
		{"POST", "/webhook-endpoints/:endpoint/deliveries/:delivery/redeliver", h.v1WebhookRedeliver, []string{write}},
	} {
		e.Add(r.method, v1Prefix+r.path, r.handler, h.v1Authenticate, h.v1RateLimit, v1Require(r.scopes...), h.v1Idempotent)
	}
}
