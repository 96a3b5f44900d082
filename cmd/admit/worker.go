package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
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
	app, err := openComponents(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	return serveWorker(ctx, cfg, app.db, app.checkout, logger, env.stdout)
}

// serveWorker runs the worker's pipeline on db and the Redis of cfg until
// ctx is done: the outbox relay, the webhook dispatcher and the asynq
// server with the outbox and delivery handlers. admit bench confirmations
// runs the same pipeline.
func serveWorker(ctx context.Context, cfg *config.Config, db *mysql.DB, refunds jobs.Refunds, logger *slog.Logger, stdout io.Writer) error {
	redisOpt := redisOptions(cfg).AsynqOpt()
	claims := redis.NewClient(redisOptions(cfg))
	defer claims.Close()
	queue := asynq.NewClient(redisOpt)
	defer queue.Close()
	w, hooks, err := newWorker(ctx, cfg, db, refunds, queue, claims, logger)
	if err != nil {
		return err
	}
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

	// The ops endpoints outlive ctx until the running tasks have finished,
	// so a probe sees the worker not ready (its relay stopped) rather than
	// gone while it drains.
	ops := server.New(server.Options{Logger: logger, Registry: newRegistry(db), Checks: []server.Check{
		{Name: "mysql", Ping: db.Ping},
		{Name: "redis", Ping: func(ctx context.Context) error { return redis.Ping(ctx, claims) }},
		{Name: "relay", Ping: func(context.Context) error {
			if !relayRunning.Load() {
				return errors.New("the outbox relay is not running")
			}
			return nil
		}},
	}})
	stopOps, err := serveOps(ctx, stdout, logger, ops, "worker", cfg.WorkerOpsAddr, "ADMIT_WORKER_OPS_ADDR")
	if err != nil {
		return err
	}
	err = w.Run(ctx)
	if opsErr := stopOps(); err == nil {
		err = opsErr
	}
	return err
}

// newWorker builds the asynq server with its two handlers: the outbox's
// side effects (emails, refunds, exports, webhook fan-out) and the webhook
// deliveries, which are also returned for their dispatcher.
func newWorker(ctx context.Context, cfg *config.Config, db *mysql.DB, refunds jobs.Refunds, queue *asynq.Client, claims goredis.UniversalClient, logger *slog.Logger) (*jobs.Worker, *webhook.Deliverer, error) {
	emails, err := email.NewRenderer()
	if err != nil {
		return nil, nil, err
	}
	exportFiles, err := openExportStorage(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	w := jobs.NewWorker(jobs.WorkerOptions{Redis: redisOptions(cfg).AsynqOpt(), Logger: logger, ShutdownTimeout: cfg.ShutdownTimeout,
		RetryBase: cfg.RetryBase, Concurrency: cfg.WorkerConcurrency})
	hooks := webhook.New(webhook.Options{Store: db, Queue: queue, Logger: logger, Timeout: cfg.WebhookTimeout,
		URLs: webhookURLs(cfg), RedeliverAfter: cfg.OutboxRedeliverAfter, BaseURL: cfg.BaseURL})
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
	return w, hooks, nil
}
