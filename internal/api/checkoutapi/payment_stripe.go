package checkoutapi

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/server"
)

// stripeWebhook receives Stripe's signed events. The signature is checked
// before anything is read from the payload; duplicates and out-of-order
// events are harmless because paying an order is a guarded transition.
func (h *Handler) stripeWebhook(c echo.Context) error {
	if h.stripe == nil {
		return admit.Errorf(admit.ENOTFOUND, "Stripe is not configured.")
	}
	payload, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return api.ReadError(err)
	}
	n, err := h.stripe.ParseWebhook(payload, c.Request().Header.Get("Stripe-Signature"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	server.LoggerFrom(ctx).Info("stripe event", "id", n.EventID, "type", n.Type, "kind", n.Kind, "order_id", n.OrderID)
	if err := h.checkout.HandlePayment(ctx, n); err != nil {
		if admit.ErrorCode(err) == admit.ENOTFOUND {
			// Not one of ours (another integration on the same account):
			// acknowledge so Stripe stops resending.
			return c.JSON(http.StatusOK, map[string]string{"status": "ignored"})
		}
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
