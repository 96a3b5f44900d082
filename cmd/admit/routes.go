package main

import (
	"github.com/labstack/echo/v4"
)

// router is one HTTP surface: it adds its routes, all listed in its own
// routes.go.
type router interface{ Register(e *echo.Echo) }

// mount adds every surface admit serve answers to e. Every route can be
// found from here:
//
//	/healthz, /readyz                      internal/server/server.go (and, on
//	                                       ADMIT_OPS_ADDR, /metrics)
//	/, /e/…, /checkout/…, /orders/…,       internal/web/routes.go
//	/static/…
//	/api/checkout/v1/…, /webhooks/stripe   internal/api/checkoutapi/routes.go
//	/api/v1/…                              internal/api/v1/routes.go
//	/console/…, /login, /signup, /o/…      internal/console/routes.go
func mount(e *echo.Echo, pages, checkoutAPI, integrations, console router) {
	for _, r := range []router{pages, checkoutAPI, integrations, console} {
		r.Register(e)
	}
}
