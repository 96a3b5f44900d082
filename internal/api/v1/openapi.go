package v1

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPI is the OpenAPI 3.1 description of /api/v1, written by hand. A
// test checks that it names every route and that responses match it.
//
//go:embed openapi.json
var OpenAPI []byte

// v1OpenAPI serves the API's description; it needs no token.
func (h *Handler) v1OpenAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSONBlob(http.StatusOK, OpenAPI)
}
