package checkoutapi

import "github.com/labstack/echo/v4"

// Register adds every route of the checkout API, and the payment
// providers' webhooks, to e.
func (h *Handler) Register(e *echo.Echo) {
	g := e.Group("/api/checkout/v1")
	g.GET("/events/:org/:event", h.eventShow)
	g.POST("/events/:org/:event/holds", h.holdCreate)
	g.GET("/holds/:hold", h.holdShow)
	g.DELETE("/holds/:hold", h.holdDelete)
	g.POST("/holds/:hold/order", h.orderCreate)
	g.GET("/orders/:reference", h.orderShow)
	e.POST("/webhooks/stripe", h.stripeWebhook)
}
