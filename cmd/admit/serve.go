package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/api/checkoutapi"
	v1 "github.com/admithq/admit/internal/api/v1"
	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/console"
	"github.com/admithq/admit/internal/flags"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/web"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	cfg, _, err := config.Parse("serve", "Serve the web pages, the checkout and the APIs over HTTP.", args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, env.stderr, "serve")
	app, err := openComponents(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	inspector := asynq.NewInspector(redisOptions(cfg).AsynqOpt())
	defer inspector.Close()
	srv, err := newServer(ctx, cfg, app, inspector, logger)
	if err != nil {
		return err
	}
	return listenAndServe(ctx, env, cfg, app, srv, logger)
}

// newServer builds every surface (pages, console, checkout API, v1) on app
// and mounts them on one server with its health checks and metrics.
func newServer(ctx context.Context, cfg *config.Config, app *components, inspector *asynq.Inspector, logger *slog.Logger) (*server.Server, error) {
	exportFiles, err := openExportStorage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	co := app.checkout
	room := redis.NewWaitingRoom(app.redis, cfg.RedisPrefix)
	limiter := redis.NewLimiter(app.redis, cfg.RedisPrefix)
	codes := checkout.NewCodeGuard(co, limiter)
	reg := newRegistry(app.db, jobs.NewMetrics(inspector, app.db, logger), backup.NewMetrics(app.db, logger))
	pages, err := web.New(web.Options{Store: app.db, Cache: app.cache, Checkout: co, PageCacheTTL: cfg.PageCacheTTL,
		Logger: logger, SecureCookies: cfg.Production(), OfflineInstructions: cfg.OfflinePayment, Queue: room, Codes: codes,
		Flags: flags.New(app.db, flags.DefaultTTL, logger), Registry: reg})
	if err != nil {
		return nil, err
	}
	desk, err := console.New(console.Options{
		Store:         app.db,
		Sessions:      redis.NewSessions(app.redis, cfg.RedisPrefix, 12*time.Hour),
		Limiter:       limiter,
		Checkout:      co,
		Logger:        logger,
		SecureCookies: cfg.Production(),
		Inspector:     inspector,
		ExportFiles:   exportFiles,
		WebhookURLs:   webhookURLs(cfg),
		Room:          room,
		Preview:       pages,
		Operators:     cfg.Operators,
	})
	if err != nil {
		return nil, err
	}
	checkoutOpts := checkoutapi.Options{Store: app.db, Checkout: co, Logger: logger, Codes: codes}
	if app.stripe != nil {
		checkoutOpts.Stripe = app.stripe
	}
	integrations := v1.New(v1.Options{Store: app.db, Checkout: co, Logger: logger, Limiter: limiter, ExportFiles: exportFiles,
		WebhookURLs: webhookURLs(cfg)})
	srv := server.New(server.Options{
		Logger:     logger,
		Registry:   reg,
		TrustProxy: cfg.TrustProxy,
		HTTPS:      strings.HasPrefix(cfg.BaseURL, "https://"),
		HTMLError:  pages.RenderError,
		Checks: []server.Check{
			{Name: "mysql", Ping: app.db.Ping},
			{Name: "redis", Ping: func(ctx context.Context) error { return redis.Ping(ctx, app.redis) }},
			{Name: "memcached", Ping: app.cache.Ping},
		},
	})
	mount(srv.Echo(), pages, checkoutapi.New(checkoutOpts), integrations, desk)
	breakDeliberately(srv.Echo())
	return srv, nil
}

// listenAndServe listens on ADMIT_HTTP_ADDR and serves srv, with the
// checkout's maintenance and the operators' listener beside it, until ctx
// is done and the server has drained.
func listenAndServe(ctx context.Context, env *environment, cfg *config.Config, app *components, srv *server.Server, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (ADMIT_HTTP_ADDR): %v", cfg.HTTPAddr, err)
	}
	addr := ln.Addr().String()
	if cfg.BaseURL == "http://"+cfg.HTTPAddr {
		cfg.BaseURL = "http://" + addr
	}
	// The base URL is known only now (port 0 picks one), and links in
	// checkout pages and payment redirects use it.
	app.checkout.SetBaseURL(cfg.BaseURL)
	// The side effects of the orders this server places go to the queue
	// as their batches commit; the last ones after the drain.
	queue := asynq.NewClient(redisOptions(cfg).AsynqOpt())
	defer queue.Close()
	dispatcher := &jobs.Dispatcher{Queue: queue, Store: app.db, Logger: logger}
	app.db.DispatchOutbox(dispatcher.Dispatch)
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		dispatcher.Run(dispatchCtx)
	}()
	defer func() {
		stopDispatch()
		<-dispatched
	}()
	maintenanceCtx, stopMaintenance := context.WithCancel(ctx)
	defer stopMaintenance()
	go app.checkout.RunMaintenance(maintenanceCtx, time.Second, 5*time.Second)
	// This server's row stays alive through the drain, so the keys of the
	// requests it is finishing are not taken over; it goes once they are.
	aliveCtx, stopAlive := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAlive()
	go app.db.KeepAlive(aliveCtx, func(err error) { logger.Warn("app instance renewal failed", "err", err) })
	stopOps, err := serveOps(ctx, env.stdout, logger, srv, "serve", cfg.OpsAddr, "ADMIT_OPS_ADDR")
	if err != nil {
		ln.Close()
		return err
	}
	logger.Info("serving", "addr", addr, "base_url", cfg.BaseURL, "version", version)
	fmt.Fprintf(env.stdout, "admit serve: listening on http://%s (public URL %s)\n", addr, strings.TrimRight(cfg.BaseURL, "/"))
	err = srv.Serve(ctx, ln, cfg.ShutdownTimeout)
	if opsErr := stopOps(); err == nil {
		err = opsErr
	}
	return err
}
