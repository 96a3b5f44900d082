// Package jobs runs admit's background work on asynq: the tasks that perform
// the side effects recorded in the outbox. Handlers return errors like HTTP
// handlers, honour their context, and are idempotent.
package jobs

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// Queue names with their priorities: order processing and order emails
// first, webhooks next, exports last.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// WorkerOptions are the worker's dependencies.
type WorkerOptions struct {
	Redis           asynq.RedisConnOpt
	Logger          *slog.Logger
	Concurrency     int
	ShutdownTimeout time.Duration
	// RetryBase is the first retry's delay; each retry doubles it (to at
	// most an hour), with jitter so a burst of failures does not retry in
	// lockstep. Zero means 5 seconds.
	RetryBase time.Duration
}

// RetryDelay returns the delay before retry n (from 0) for base.
func RetryDelay(base time.Duration, n int) time.Duration {
	d := base << min(n, 20)
	if d <= 0 || d > time.Hour {
		d = time.Hour
	}
	// ±20% jitter.
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

// Worker is an asynq server with admit's queues and handlers.
type Worker struct {
	server *asynq.Server
	mux    *asynq.ServeMux
	logger *slog.Logger
}

// NewWorker returns a worker; Run starts it.
func NewWorker(o WorkerOptions) *Worker {
	if o.Concurrency == 0 {
		o.Concurrency = 20
	}
	if o.RetryBase == 0 {
		o.RetryBase = 5 * time.Second
	}
	srv := asynq.NewServer(o.Redis, asynq.Config{
		Concurrency:     o.Concurrency,
		Queues:          map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1},
		ShutdownTimeout: o.ShutdownTimeout,
		Logger:          asynqLogger{o.Logger},
		LogLevel:        asynq.WarnLevel,
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			return RetryDelay(o.RetryBase, n)
		},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, task *asynq.Task, err error) {
			o.Logger.Warn("task failed", "type", task.Type(), "err", err)
		}),
	})
	return &Worker{server: srv, mux: asynq.NewServeMux(), logger: o.Logger}
}

// Handle registers h for tasks of type pattern.
func (w *Worker) Handle(pattern string, h asynq.Handler) { w.mux.Handle(pattern, h) }

// Run processes tasks until ctx is done, then lets running tasks finish
// within the shutdown timeout.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.server.Start(w.mux); err != nil {
		return err
	}
	w.logger.Info("worker started")
	<-ctx.Done()
	w.logger.Info("worker stopping: waiting for running tasks")
	w.server.Shutdown()
	return nil
}

// asynqLogger adapts slog to asynq's logger interface.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(sprint(args)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(sprint(args)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(sprint(args)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(sprint(args)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(sprint(args)) }

func sprint(args []any) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += toString(a)
	}
	return s
}

func toString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case error:
		return v.Error()
	}
	return slog.AnyValue(a).String()
}
