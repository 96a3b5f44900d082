package jobs

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueDepth is how many tasks of one queue are in each state.
type QueueDepth struct {
	Queue     string
	Pending   int
	Active    int
	Scheduled int
	Retry     int
	Archived  int
	// Latency is the age of the oldest pending task.
	Latency time.Duration
}

// QueueNames returns the queues asynq knows of: admit's by priority, then
// any other. asynq learns of a queue when it first holds a task.
func QueueNames(ins *asynq.Inspector) ([]string, error) {
	known, err := ins.Queues()
	if err != nil {
		return nil, err
	}
	sort.Strings(known)
	var names []string
	for _, q := range []string{QueueCritical, QueueDefault, QueueLow} {
		if slices.Contains(known, q) {
			names = append(names, q)
		}
	}
	for _, q := range known {
		if q != QueueCritical && q != QueueDefault && q != QueueLow {
			names = append(names, q)
		}
	}
	return names, nil
}

// QueueDepths returns the depth of admit's queues (empty while they have
// never held a task) and of any other queue asynq knows of.
func QueueDepths(ins *asynq.Inspector) ([]QueueDepth, error) {
	known, err := QueueNames(ins)
	if err != nil {
		return nil, err
	}
	names := []string{QueueCritical, QueueDefault, QueueLow}
	for _, q := range known {
		if !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	depths := make([]QueueDepth, 0, len(names))
	for _, q := range names {
		d := QueueDepth{Queue: q}
		if !slices.Contains(known, q) {
			depths = append(depths, d)
			continue
		}
		info, err := ins.GetQueueInfo(q)
		if err != nil {
			if now, lerr := ins.Queues(); lerr == nil && !slices.Contains(now, q) {
				continue // deleted meanwhile
			}
			return nil, err
		}
		d.Pending, d.Active, d.Scheduled, d.Retry, d.Archived, d.Latency = info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived, info.Latency
		depths = append(depths, d)
	}
	return depths, nil
}

// OutboxStatser reports the figures of undone side effects.
type OutboxStatser interface {
	OutboxStats(ctx context.Context) (admit.OutboxStats, error)
}

// Metrics exposes the queue depths and the outbox backlog to Prometheus,
// read from Redis and MySQL at scrape time. A source that does not answer
// within the timeout is left out of that scrape (and logged) rather than
// failing the whole scrape.
type Metrics struct {
	inspector *asynq.Inspector
	store     OutboxStatser
	logger    *slog.Logger
	timeout   time.Duration

	queueTasks    *prometheus.Desc
	outboxPending *prometheus.Desc
	outboxOldest  *prometheus.Desc
	outboxFailing *prometheus.Desc
}

// NewMetrics returns the collector; register it with the server's registry.
func NewMetrics(ins *asynq.Inspector, store OutboxStatser, logger *slog.Logger) *Metrics {
	return &Metrics{inspector: ins, store: store, logger: logger, timeout: 2 * time.Second,
		queueTasks: prometheus.NewDesc("admit_queue_tasks", "Tasks in each asynq queue by state (pending, active, scheduled, retry, archived).",
			[]string{"queue", "state"}, nil),
		outboxPending: prometheus.NewDesc("admit_outbox_pending", "Side effects recorded in the outbox and not done yet.", nil, nil),
		outboxOldest:  prometheus.NewDesc("admit_outbox_oldest_seconds", "Age of the oldest side effect not done yet (0 when none).", nil, nil),
		outboxFailing: prometheus.NewDesc("admit_outbox_failing", "Side effects not done whose last attempt failed.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.queueTasks
	ch <- m.outboxPending
	ch <- m.outboxOldest
	ch <- m.outboxFailing
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	type queueResult struct {
		depths []QueueDepth
		err    error
	}
	// The inspector takes no context: ask it in the background and stop
	// waiting at the timeout.
	queues := make(chan queueResult, 1)
	go func() {
		d, err := QueueDepths(m.inspector)
		queues <- queueResult{d, err}
	}()

	if s, err := m.store.OutboxStats(ctx); err != nil {
		m.logger.Warn("metrics: reading the outbox figures", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(m.outboxPending, prometheus.GaugeValue, float64(s.Pending))
		ch <- prometheus.MustNewConstMetric(m.outboxOldest, prometheus.GaugeValue, s.OldestAge.Seconds())
		ch <- prometheus.MustNewConstMetric(m.outboxFailing, prometheus.GaugeValue, float64(s.FailingCount))
	}

	select {
	case r := <-queues:
		if r.err != nil {
			m.logger.Warn("metrics: reading the queue depths", "err", r.err)
			return
		}
		for _, d := range r.depths {
			for _, s := range []struct {
				state string
				n     int
			}{{"pending", d.Pending}, {"active", d.Active}, {"scheduled", d.Scheduled}, {"retry", d.Retry}, {"archived", d.Archived}} {
				ch <- prometheus.MustNewConstMetric(m.queueTasks, prometheus.GaugeValue, float64(s.n), d.Queue, s.state)
			}
		}
	case <-ctx.Done():
		m.logger.Warn("metrics: the queue depths did not arrive in time", "timeout", m.timeout)
	}
}
