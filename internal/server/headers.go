package server

import "github.com/labstack/echo/v4"

// contentSecurityPolicy fits every page admit serves: scripts, styles and
// everything else only from admit itself (no inline script or style, so
// markup that slips through escaping cannot run), QR codes as data: images
// and an event's banner from any https address its organizer names (an
// image cannot run script, and http would be mixed content),
// no plugins, no <base> rewriting, and no framing by other sites (there is
// no embeddable page; widgets use the checkout API). Forms stay unlimited:
// a checkout's answer may redirect to the payment provider's page, and
// browsers apply form-action to that redirect too.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets, on every answer (errors and static files too), the
// headers that tell browsers how to treat it: the policy above, no content
// sniffing, no framing for browsers that predate frame-ancestors, no full
// URL (with its tokens) in the Referer to other sites, and, when admit is
// reached over https, that it must always be.
func securityHeaders(https bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			if https {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			return next(c)
		}
	}
}
