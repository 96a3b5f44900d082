// Package jobs runs admit's background work on asynq: the tasks that perform
// the side effects recorded in the outbox. Handlers return errors like HTTP
// handlers, honour their context, and are idempotent.
//
// # Side effects in batches
//
// At an on-sale every sold order leaves two or three outbox rows. The app
// server that placed the orders hands their rows to asynq as the batch
// commits (Dispatcher); the relay hands over every other due row, and any
// row not done some time after it was handed over. Either way a task holds
// up to a hundred rows of one queue, and
// a task reads its rows, the orders they name (with lines, tickets and
// answers) with one query per table, takes events and organizations from
// a cache of a second, performs the rows concurrently (Outbox.Parallel at
// a time per worker, an email's send within its own timeout), and records
// the done rows with one UPDATE, guarded by done_at IS NULL, and the failed
// ones with another. A few statements per batch instead of about sixteen
// per order.
//
// Why not asynq's task aggregation (Group, GroupAggregator): an
// aggregation check moves at most GroupMaxSize tasks of a group per check,
// and checks run once per GroupGracePeriod (at least a second), so a group
// drains at a hundred tasks a second, too slow for a burst, and a lone
// confirmation waits a second or more. Worse, aggregating deletes the
// grouped tasks: their ids (the row ids, which made a second hand-over of
// a waiting row a no-op) are gone, the aggregated task has a random id, and
// its retries and archiving concern the whole group, so neither the relay's
// redelivery nor a retry could tell which rows are still waiting.
//
// A batch task cannot be named after its rows either: a row handed over
// again (its task lost with Redis, or not done within the redelivery
// delay) lands in a different batch. So the ids no longer keep a row from
// running twice at once; claims do. A batch claims its rows in Redis for
// its time budget (Outbox.Claims) and skips those another batch holds, so
// two relays handing the same rows over, or a redelivery while the first
// batch still waits, perform each row once. A row's retries are the
// database's business, as webhook deliveries' are: a failed row counts its
// attempt and keeps its error, and the relay hands it over again after a
// backoff that doubles with each failure (at most an hour); a poisoned row
// fails alone and never holds up its batch. The invariants are unchanged:
// every recorded side effect is performed at least once (a claim lost with
// Redis can at worst let one happen twice, which its receiver deduplicates
// by X-Admit-Outbox-Id or webhook-id), and "done" is recorded in MySQL.
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
