//go:build admit_broken_readyz

package main

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// A build whose /readyz never answers 200: the canary never becomes ready,
// HAProxy never sends it a buyer, and scripts/deploy must put the old
// release back on its own.
func init() {
	breakages = append(breakages, func(e *echo.Echo) {
		e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if c.Request().URL.Path == "/readyz" {
					return c.String(http.StatusServiceUnavailable, "not ready: a deliberately broken build (admit_broken_readyz)\n")
				}
				return next(c)
			}
		})
	})
}
