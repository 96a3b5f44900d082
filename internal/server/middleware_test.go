package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// A form or query whose bytes are not UTF-8 reaches the handler as valid
// UTF-8, with U+FFFD where the bad bytes were and the rest kept.
func TestFormsReachHandlersAsUTF8(t *testing.T) {
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	s.Echo().POST("/echo", func(c echo.Context) error {
		return c.String(http.StatusOK, c.FormValue("name")+"|"+c.QueryParam("q"))
	}, UTF8Forms)
	req := httptest.NewRequest("POST", "/echo?q=b%FFc", strings.NewReader("name=Ad%E0a"))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	rec := httptest.NewRecorder()
	s.Echo().ServeHTTP(rec, req)
	if got, want := rec.Body.String(), "Ad\uFFFDa|b\uFFFDc"; rec.Code != http.StatusOK || got != want {
		t.Fatalf("got %d %q, want 200 %q", rec.Code, got, want)
	}
}
