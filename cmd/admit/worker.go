package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/webhook"
)

func runWorker(ctx context.Context, env *environment, args []string) error {
	cfg, _, err := config.Parse("worker", "Run the background worker (asynq): emails, webhooks, exports.", args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, env.stderr, "worker")
	d, err := openDeps(ctx, cfg, cfg.RedisPrefix)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := checkSchema(ctx, d.db); err != nil {
		return err
	}
	var providers []payment.Provider
	if cfg.StripeSecretKey != "" {
		providers = append(providers, payment.NewStripe(payment.StripeOptions{SecretKey: cfg.StripeSecretKey, APIBase: cfg.StripeAPIBase}))
	}
	co := checkout.New(checkout.Options{Ledger: d.db, Gate: redis.NewInventory(d.redis, cfg.RedisPrefix), Providers: providers,
		BaseURL: cfg.BaseURL, Logger: logger})
	return serveWorker(ctx, cfg, d.db, co, logger, env.stdout)
}

// serveWorker runs the worker's pipeline on db and the Redis of cfg until
// ctx is done: the outbox relay, the webhook dispatcher and the asynq
// server with the outbox and delivery handlers. admit bench confirmations
// runs the same pipeline.
func serveWorker(ctx context.Context, cfg *config.Config, db *mysql.DB, refunds jobs.Refunds, logger *slog.Logger, stdout io.Writer) error {
	redisOpt := redisOptions(cfg).AsynqOpt()
	claims := redis.NewClient(redisOptions(cfg))
	defer claims.Close()
	emails, err := email.NewRenderer()
	if err != nil {
		return err
	}
	queue := asynq.NewClient(redisOpt)
	defer queue.Close()
	exportFiles, err := openExportStorage(ctx, cfg)
	if err != nil {
		return err
	}
	w := jobs.NewWorker(jobs.WorkerOptions{Redis: redisOpt, Logger: logger, ShutdownTimeout: cfg.ShutdownTimeout,
		RetryBase: cfg.RetryBase, Concurrency: cfg.WorkerConcurrency})
	hooks := webhook.New(webhook.Options{Store: db, Queue: queue, Logger: logger, Timeout: cfg.WebhookTimeout,
		URLs:           webhook.URLPolicy{AllowHTTP: !cfg.Production(), AllowPrivate: cfg.WebhookAllowPrivate},
		RedeliverAfter: cfg.OutboxRedeliverAfter, BaseURL: cfg.BaseURL})
	w.Handle(webhook.TypeDeliver, hooks)
	w.Handle(jobs.TypeOutbox, &jobs.Outbox{
		Store:        db,
		Mailer:       email.NewSES(email.SESOptions{Region: cfg.SESRegion, Endpoint: cfg.SESEndpoint, AccessKey: cfg.SESAccessKey, SecretKey: cfg.SESSecretKey}),
		Emails:       emails,
		Refunds:      refunds,
		BaseURL:      cfg.BaseURL,
		MailFrom:     cfg.MailFrom,
		Instructions: cfg.OfflinePayment,
		Logger:       logger,
		Exports:      &jobs.Exporter{Store: db, Storage: exportFiles, Logger: logger},
		Webhooks:     hooks,
		Claims:       redis.NewOutboxClaims(claims, cfg.RedisPrefix),
		Parallel:     cfg.WorkerConcurrency,
	})
	relay := &jobs.Relay{Store: db, Queue: queue, Logger: logger, RedeliverAfter: cfg.OutboxRedeliverAfter, RetryBase: cfg.RetryBase}
	relayCtx, stopRelay := context.WithCancel(ctx)
	defer stopRelay()
	var relayRunning atomic.Bool
	relayRunning.Store(true)
	go func() {
		defer relayRunning.Store(false)
		relay.Run(relayCtx, 200*time.Millisecond)
	}()
	go hooks.RunDispatcher(relayCtx, time.Second)

	if cfg.WorkerOpsAddr == "" {
		return w.Run(ctx)
	}
	// The ops endpoints outlive ctx until the running tasks have finished,
	// so a probe sees the worker not ready (its relay stopped) rather than
	// gone while it drains.
	ln, err := net.Listen("tcp", cfg.WorkerOpsAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (ADMIT_WORKER_OPS_ADDR): %v", cfg.WorkerOpsAddr, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL(), "admit"),
		mysql.NewStatementMetrics(db),
	)
	ops := server.New(server.Options{Logger: logger, Registry: reg, Checks: []server.Check{
		{Name: "mysql", Ping: db.Ping},
		{Name: "redis", Ping: func(ctx context.Context) error { return redis.Ping(ctx, claims) }},
		{Name: "relay", Ping: func(context.Context) error {
			if !relayRunning.Load() {
				return errors.New("the outbox relay is not running")
			}
			return nil
		}},
	}})
	opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
	opsDone := make(chan error, 1)
	go func() { opsDone <- ops.ServeOps(opsCtx, ln) }()
	logger.Info("serving ops endpoints", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "admit worker: /healthz, /readyz and /metrics on http://%s\n", ln.Addr())
	err = w.Run(ctx)
	stopOps()
	if opsErr := <-opsDone; err == nil {
		err = opsErr
	}
	return err
}
