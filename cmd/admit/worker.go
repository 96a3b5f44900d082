package main

import (
	"context"

	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/jobs"
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
	w := jobs.NewWorker(jobs.WorkerOptions{
		Redis:           redisOptions(cfg).AsynqOpt(),
		Logger:          logger,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
	return w.Run(ctx)
}
