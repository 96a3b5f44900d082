package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

type loggerKey struct{}

// LoggerFrom returns the request's logger (with its request id), or the
// default logger outside a request.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WithLogger returns ctx carrying logger.
func WithLogger(ctx context.Context, logger *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, logger)
}

const hidePathKey = "server.hide_path"

// HidePath keeps a route's path out of the access log, which names the
// route instead: for paths that carry a secret, such as the token of an
// emailed link, since logs travel further than the database.
func HidePath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(hidePathKey, true)
		return next(c)
	}
}

// observe gives the request a logger with its id, renders any error through
// the central handler so the final status is known, then writes the access
// log line and the metrics.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		id := c.Response().Header().Get(echo.HeaderXRequestID)
		logger := s.logger.With("request_id", id)
		c.SetRequest(req.WithContext(WithLogger(req.Context(), logger)))
		if err := next(c); err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		s.metrics.observe(req.Method, route, strconv.Itoa(status), elapsed)
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			return nil
		}
		path := req.URL.Path
		if hide, _ := c.Get(hidePathKey).(bool); hide {
			path = route
		}
		logger.LogAttrs(req.Context(), slog.LevelInfo, "request",
			slog.String("method", req.Method),
			slog.String("path", path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Float64("ms", float64(elapsed.Microseconds())/1000),
			slog.String("remote_ip", c.RealIP()),
		)
		return nil
	}
}

// recoverPanic turns a panic in a handler into a 500 through the error
// handler, logging the stack once.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http_ErrAbortHandler {
					panic(r)
				}
				stack := make([]byte, 8<<10)
				stack = stack[:runtime.Stack(stack, false)]
				LoggerFrom(c.Request().Context()).Error("panic in handler", "panic", fmt.Sprint(r), "stack", string(stack))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// UTF8Forms, on every route of the HTML surfaces, replaces bytes that are
// not UTF-8 in the query and in a urlencoded form's values with U+FFFD
// before the handler reads them. Every page is served as UTF-8, so a
// browser never sends such bytes; a hand-made request that does would
// otherwise reach MySQL, whose utf8mb4 columns refuse them with an error
// the buyer sees as a 500. The JSON API gets the same from encoding/json
// (and keeps its body unread until its handler reads it, so this is not
// on its routes); Django (pretix) decodes forms the same way.
func UTF8Forms(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.URL.RawQuery != "" {
			// echo reads query parameters from the URL itself, not from
			// r.Form, so a query with bad bytes is written back mended.
			if q := r.URL.Query(); mendUTF8(q) {
				r.URL.RawQuery = q.Encode()
			}
		}
		if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
			_ = r.ParseForm() // a malformed form keeps what parsed, as it would for the handler
			mendUTF8(r.Form)
			mendUTF8(r.PostForm)
		}
		return next(c)
	}
}

// mendUTF8 replaces what is not UTF-8 in values' values, saying whether
// it found any.
func mendUTF8(values url.Values) bool {
	mended := false
	for _, vs := range values {
		for i, v := range vs {
			if !utf8.ValidString(v) {
				vs[i], mended = strings.ToValidUTF8(v, "\uFFFD"), true
			}
		}
	}
	return mended
}
