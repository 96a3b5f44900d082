package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api/checkoutapi"
	v1 "github.com/admithq/admit/internal/api/v1"
	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/console"
	"github.com/admithq/admit/internal/flags"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/web"
	"github.com/admithq/admit/internal/webhook"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	cfg, _, err := config.Parse("serve", "Serve the web pages, the checkout and the APIs over HTTP.", args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, env.stderr, "serve")
	d, err := openDeps(ctx, cfg, cfg.RedisPrefix)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := checkSchema(ctx, d.db); err != nil {
		return err
	}

	inspector := asynq.NewInspector(redisOptions(cfg).AsynqOpt())
	defer inspector.Close()
	exportFiles, err := openExportStorage(ctx, cfg)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(d.db.SQL(), "admit"),
		mysql.NewStatementMetrics(d.db),
		jobs.NewMetrics(inspector, d.db, logger),
		backup.NewMetrics(d.db, logger),
	)
	var providers []payment.Provider
	var stripe *payment.Stripe
	if cfg.OfflinePayment != "" {
		providers = append(providers, &payment.Offline{Instructions: cfg.OfflinePayment})
	}
	if cfg.StripeSecretKey != "" {
		stripe = payment.NewStripe(payment.StripeOptions{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhook, APIBase: cfg.StripeAPIBase})
		providers = append(providers, stripe)
	}
	limits := admit.HoldLimits{PerClient: cfg.HoldsPerClient, PerIP: 10 * cfg.HoldsPerClient}
	var autoRoom checkout.AutoRoom // a nil *redis.AutoRoom would not be a nil interface
	if cfg.WaitingRoomAutoRate > 0 {
		autoRoom = redis.NewAutoRoom(d.redis, cfg.RedisPrefix, cfg.WaitingRoomAutoRate, cfg.WaitingRoomAutoFor)
	}
	co := checkout.New(checkout.Options{
		Ledger:    d.db,
		Gate:      redis.NewInventory(d.redis, cfg.RedisPrefix),
		Providers: providers,
		Limits:    limits,
		BaseURL:   cfg.BaseURL,
		Logger:    logger,
		Secret:    []byte(cfg.SecretKey),
		AutoRoom:  autoRoom,
	})
	room := redis.NewWaitingRoom(d.redis, cfg.RedisPrefix)
	limiter := redis.NewLimiter(d.redis, cfg.RedisPrefix)
	codes := checkout.NewCodeGuard(co, limiter)
	pages, err := web.New(web.Options{Store: d.db, Cache: d.cache, Checkout: co, PageCacheTTL: cfg.PageCacheTTL,
		Logger: logger, SecureCookies: cfg.Production(), OfflineInstructions: cfg.OfflinePayment, Queue: room, Codes: codes,
		Flags: flags.New(d.db, flags.DefaultTTL, logger), Registry: reg})
	if err != nil {
		return err
	}
	desk, err := console.New(console.Options{
		Store:         d.db,
		Sessions:      redis.NewSessions(d.redis, cfg.RedisPrefix, 12*time.Hour),
		Limiter:       limiter,
		Checkout:      co,
		Logger:        logger,
		SecureCookies: cfg.Production(),
		Inspector:     inspector,
		ExportFiles:   exportFiles,
		WebhookURLs:   webhook.URLPolicy{AllowHTTP: !cfg.Production(), AllowPrivate: cfg.WebhookAllowPrivate},
		Room:          room,
	})
	if err != nil {
		return err
	}
	checkoutOpts := checkoutapi.Options{Store: d.db, Checkout: co, Logger: logger, Codes: codes}
	if stripe != nil {
		checkoutOpts.Stripe = stripe
	}
	integrations := v1.New(v1.Options{Store: d.db, Checkout: co, Logger: logger, Limiter: limiter, ExportFiles: exportFiles,
		WebhookURLs: webhook.URLPolicy{AllowHTTP: !cfg.Production(), AllowPrivate: cfg.WebhookAllowPrivate}})
	srv := server.New(server.Options{
		Logger:     logger,
		Registry:   reg,
		TrustProxy: cfg.TrustProxy,
		HTTPS:      strings.HasPrefix(cfg.BaseURL, "https://"),
		HTMLError:  pages.RenderError,
		Checks: []server.Check{
			{Name: "mysql", Ping: d.db.Ping},
			{Name: "redis", Ping: func(ctx context.Context) error { return redis.Ping(ctx, d.redis) }},
			{Name: "memcached", Ping: d.cache.Ping},
		},
	})
	mount(srv.Echo(), pages, checkoutapi.New(checkoutOpts), integrations, desk)

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
	co.SetBaseURL(cfg.BaseURL)
	maintenanceCtx, stopMaintenance := context.WithCancel(ctx)
	defer stopMaintenance()
	go co.RunMaintenance(maintenanceCtx, time.Second, 5*time.Second)
	stopOps, err := serveOps(ctx, env, logger, srv, cfg.OpsAddr)
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

// serveOps starts the operators' listener (ADMIT_OPS_ADDR), if one is set.
// It outlives ctx until stop is called after the public server has
// drained, so a probe sees the server draining rather than gone.
func serveOps(ctx context.Context, env *environment, logger *slog.Logger, srv *server.Server, addr string) (stop func() error, err error) {
	if addr == "" {
		return func() error { return nil }, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (ADMIT_OPS_ADDR): %v", addr, err)
	}
	opsCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.ServeOps(opsCtx, ln) }()
	logger.Info("serving ops endpoints", "addr", ln.Addr().String())
	fmt.Fprintf(env.stdout, "admit serve: /healthz, /readyz and /metrics for operators on http://%s\n", ln.Addr())
	return func() error { cancel(); return <-done }, nil
}
