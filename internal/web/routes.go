package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Register adds every route of the web surface to e.
func (h *Handler) Register(e *echo.Echo) {
	static := http.StripPrefix("/static/", http.FileServer(staticFS()))
	e.GET("/static/*", echo.WrapHandler(static))
	e.GET("/", h.home)
	e.GET("/e/:org/:event", h.eventShow)
}

func (h *Handler) home(c echo.Context) error {
	return c.Redirect(http.StatusFound, "/e/demo/gophersummit")
}
