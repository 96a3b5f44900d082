//go:build admit_broken_route

package main

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// A build that is ready and serves every page but answers 500 to one route
// buyers use, the checkout API's hold (POST /api/checkout/v1/events/:org/:event/holds),
// before it takes any effect: only the canary's 5xx comparison can tell it
// from a good build. Buyers retry on the other HAProxy address with the
// same Idempotency-Key, so none of them fails.
func init() {
	breakages = append(breakages, func(e *echo.Echo) {
		e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				p := c.Request().URL.Path
				if c.Request().Method == http.MethodPost && strings.HasPrefix(p, "/api/checkout/v1/events/") && strings.HasSuffix(p, "/holds") {
					return c.JSON(http.StatusInternalServerError, map[string]string{
						"code": "internal", "message": "a deliberately broken build (admit_broken_route)"})
				}
				return next(c)
			}
		})
	})
}
