// Package server builds the HTTP server every surface hangs off: echo with
// request ids, structured access logs, panic recovery, body limits, metrics,
// health and readiness endpoints, the one central error handler, and a
// graceful shutdown that lets in-flight requests finish.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/admithq/admit/internal/admit"
)

// Check is one dependency that /readyz reports on.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// HTMLErrorFunc renders an error page for the HTML surfaces.
type HTMLErrorFunc func(c echo.Context, status int, message string) error

// Options are the server's dependencies, passed in by the caller.
type Options struct {
	Logger    *slog.Logger
	Registry  *prometheus.Registry
	Checks    []Check
	HTMLError HTMLErrorFunc
	BodyLimit string // such as "1M"
	// TrustProxy takes the client address from X-Forwarded-For when the
	// connection comes from a loopback or private address (HAProxy).
	// Otherwise the connection's address is the client's: a header the client
	// sets can never lift a per-address limit.
	TrustProxy bool
	// HTTPS says the public base URL is https: answers then carry
	// Strict-Transport-Security.
	HTTPS bool
}

// Server is the echo instance with admit's middleware and error handling.
type Server struct {
	echo     *echo.Echo
	logger   *slog.Logger
	checks   []Check
	html     HTMLErrorFunc
	draining atomic.Bool
	metrics  *metrics
	registry *prometheus.Registry
}

// New returns a server with the shared middleware and the public health
// endpoints: /healthz, and /readyz saying only ready or not, since a load
// balancer needs no more. Metrics and what is down are for operators, on
// the listener Ops serves.
func New(o Options) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{echo: e, logger: o.Logger, checks: o.Checks, html: o.HTMLError, metrics: newMetrics(o.Registry), registry: o.Registry}
	if s.html == nil {
		s.html = func(c echo.Context, status int, message string) error {
			return c.String(status, message)
		}
	}
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if o.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLoopback(true), echo.TrustPrivateNet(true))
	}
	limit := o.BodyLimit
	if limit == "" {
		limit = "1M"
	}
	e.Pre(headAsGet)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: func() string { return admit.NewToken(10) },
	}))
	e.Use(securityHeaders(o.HTTPS))
	e.Use(s.observe)
	e.Use(s.recoverPanic)
	e.Use(middleware.BodyLimit(limit))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", func(c echo.Context) error { return s.readyz(c, false) })
	return s
}

// Ops returns the operators' endpoints: /healthz, /readyz naming each
// component that is down and why, /metrics, and Go's profiles under
// /debug/pprof/ (a CPU profile of a live server under load says where its
// time goes: go tool pprof http://OPS_ADDR/debug/pprof/profile). Serve it with ServeOps on
// an address of its own, kept off the public internet: the figures and
// errors say how the service is built and how busy it is.
func (s *Server) Ops() http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Use(s.recoverPanic)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", func(c echo.Context) error { return s.readyz(c, true) })
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))
	e.GET("/debug/pprof/*", echo.WrapHandler(http.HandlerFunc(pprof.Index)))
	e.GET("/debug/pprof/cmdline", echo.WrapHandler(http.HandlerFunc(pprof.Cmdline)))
	e.GET("/debug/pprof/profile", echo.WrapHandler(http.HandlerFunc(pprof.Profile)))
	e.GET("/debug/pprof/symbol", echo.WrapHandler(http.HandlerFunc(pprof.Symbol)))
	e.GET("/debug/pprof/trace", echo.WrapHandler(http.HandlerFunc(pprof.Trace)))
	return e
}

// Echo returns the echo instance for surfaces to register their routes.
func (s *Server) Echo() *echo.Echo { return s.echo }

// Serve serves on ln until ctx is done, then stops accepting, reports not
// ready, and waits up to shutdownTimeout for in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	return s.serve(ctx, ln, s.echo, shutdownTimeout, func() {
		s.draining.Store(true)
		s.logger.Info("shutting down: draining in-flight requests", "timeout", shutdownTimeout.String())
	})
}

// ServeOps serves Ops on ln until ctx is done. Give it a context that ends
// after Serve has returned, so probes see the server draining, not gone.
func (s *Server) ServeOps(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, ln, s.Ops(), time.Second, func() {})
}

func (s *Server) serve(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, draining func()) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	draining()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz checks every dependency in parallel with a short deadline, so a
// load balancer stops sending traffic to a server that cannot serve it.
// With details (the operators' listener) it names each component that is
// down and its error; the public answer is only the status.
func (s *Server) readyz(c echo.Context, details bool) error {
	if s.draining.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "draining"})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(s.checks))
	for _, ch := range s.checks {
		go func() { results <- result{ch.Name, ch.Ping(ctx)} }()
	}
	down := map[string]string{}
	for range s.checks {
		r := <-results
		if r.err != nil {
			LoggerFrom(c.Request().Context()).Warn("readiness check failed", "component", r.name, "err", r.err)
			down[r.name] = r.err.Error()
		}
	}
	if len(down) > 0 && details {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "down": down})
	}
	if len(down) > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok"})
}
