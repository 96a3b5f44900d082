package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
)

// Flags says which features are on for an organization (flags.Set).
type Flags interface {
	On(ctx context.Context, name string, orgID int64, orgSlug string) bool
}

// lowStockAt is "a few": at most this many left shows the low-stock notice.
const lowStockAt = 10

func (h *Handler) flagOn(ctx context.Context, name string, orgID int64, orgSlug string) bool {
	return h.flags != nil && h.flags.On(ctx, name, orgID, orgSlug)
}

// eventKey is where a checkout handler leaves the event it served, so the
// step's metrics can be labelled with the organization's flag states.
const eventKey = "admit.web.event"

func noteEvent(c echo.Context, ev *admit.Event) { c.Set(eventKey, ev) }

// checkoutMetrics count the checkout's steps (holds, orders) by outcome, and
// time them, split by the state of each flag for the buyer's organization,
// so a rollout's organizations can be compared with the rest side by side.
type checkoutMetrics struct {
	steps   *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

func newCheckoutMetrics(reg prometheus.Registerer) *checkoutMetrics {
	if reg == nil {
		return nil
	}
	m := &checkoutMetrics{
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "admit_checkout_steps_total",
			Help: "Checkout page steps (hold, order) by outcome (ok, rejected, error), once per feature flag with its state (on, off) for the organization.",
		}, []string{"step", "outcome", "flag", "state"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "admit_checkout_step_duration_seconds",
			Help:    "Latency of the checkout page steps, once per feature flag with its state for the organization.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"step", "flag", "state"}),
	}
	reg.MustRegister(m.steps, m.latency)
	return m
}

// measure records a checkout step; steps that never reached an event (a
// bad link) are not counted, as they belong to no organization.
func (h *Handler) measure(step string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if h.metrics == nil {
			return next
		}
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			ev, _ := c.Get(eventKey).(*admit.Event)
			if ev == nil {
				return err
			}
			outcome := "ok"
			switch {
			case err != nil && isClientError(err):
				outcome = "rejected"
			case err != nil:
				outcome = "error"
			case c.Response().Status >= http.StatusBadRequest:
				outcome = "rejected"
			}
			elapsed := time.Since(start).Seconds()
			slug := c.Param("org") // empty on /checkout: the flag finds the organization by id
			for _, name := range admit.KnownFlags {
				state := "off"
				if h.flagOn(c.Request().Context(), name, ev.OrganizationID, slug) {
					state = "on"
				}
				h.metrics.steps.WithLabelValues(step, outcome, name, state).Inc()
				h.metrics.latency.WithLabelValues(step, name, state).Observe(elapsed)
			}
			return err
		}
	}
}

func isClientError(err error) bool {
	switch admit.ErrorCode(err) {
	case "", admit.EINTERNAL, admit.EUNAVAILABLE:
		return false
	}
	return true
}
