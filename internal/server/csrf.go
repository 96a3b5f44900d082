package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/admithq/admit/internal/admit"
)

// CSRFContextKey is where the CSRF middleware leaves the token that forms
// post back as _csrf.
const CSRFContextKey = "csrf"

// CSRF protects every form of the HTML surfaces: a browser's Sec-Fetch-Site
// header where it sends one, and otherwise a token bound to a cookie that
// each form posts back. A form without a valid token changes nothing.
func CSRF(secure bool) echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		ContextKey:     CSRFContextKey,
		CookieName:     "admit_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   86400,
		ErrorHandler: func(err error, c echo.Context) error {
			return admit.Errorf(admit.EFORBIDDEN, "This form has expired or did not come from this site. Go back, reload the page and try again.")
		},
	})
}
