package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// Releaser gives rows that could not be handed to the queue back to the
// relay (mysql.DB.ReleaseOutbox).
type Releaser interface {
	ReleaseOutbox(ctx context.Context, ids []int64) error
}

// Dispatcher hands the side effects of the orders an app server places to
// the queue as soon as their batch has committed, without the relay: the
// relay would find them by polling and then mark each row handed over, an
// UPDATE of every row that a Galera cluster ships to every node. At an
// on-sale that was the most written table after the outbox's own inserts.
//
// The rows are written as handed over (mysql.DB.DispatchOutbox). Dispatch
// collects them; Run gathers what came within Linger into tasks of up to
// BatchSize rows of one queue, as the relay does. Rows whose task cannot be
// enqueued (Redis down) are released to the relay, which hands them over at
// its next round; if even that fails, or the server dies first, the relay
// hands them over once they are RedeliverAfter old, as for a task lost with
// Redis. Every side effect is thus still performed at least once, and the
// worker's claims keep one from being performed twice at once.
type Dispatcher struct {
	Queue  Enqueuer
	Store  Releaser
	Logger *slog.Logger
	// BatchSize caps the rows of one task; zero means 100.
	BatchSize int
	// Linger is how long the first rows wait for more to join their
	// task; zero means 100 milliseconds, about what the relay's tasks gather
	// at an on-sale (the relay polls every 200 ms).
	Linger time.Duration

	mu      sync.Mutex
	pending []admit.OutboxRow
	wake    chan struct{}
	once    sync.Once
}

func (d *Dispatcher) init() { d.once.Do(func() { d.wake = make(chan struct{}, 1) }) }

// Dispatch takes rows to hand over; it never blocks.
func (d *Dispatcher) Dispatch(rows []admit.OutboxRow) {
	d.init()
	d.mu.Lock()
	d.pending = append(d.pending, rows...)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run hands the rows over until ctx is done, then hands over what is left.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	linger := d.Linger
	if linger <= 0 {
		linger = 100 * time.Millisecond
	}
	for {
		select {
		case <-ctx.Done():
			// The server has stopped taking orders; what it placed last
			// is handed over within a few seconds, or left to the relay.
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			d.Flush(flushCtx)
			cancel()
			return
		case <-d.wake:
		}
		select {
		case <-ctx.Done():
		case <-time.After(linger):
		}
		d.Flush(ctx)
	}
}

// Flush hands over every row dispatched so far.
func (d *Dispatcher) Flush(ctx context.Context) {
	d.mu.Lock()
	rows := d.pending
	d.pending = nil
	d.mu.Unlock()
	if len(rows) == 0 {
		return
	}
	size := d.BatchSize
	if size <= 0 {
		size = 100
	}
	var released []int64
	for q, ids := range queueChunks(rows, size) {
		if len(released) > 0 {
			// Redis failed this round: the relay takes the rest.
			released = append(released, ids...)
			continue
		}
		if err := enqueueRows(ctx, d.Queue, q, ids); err != nil {
			d.Logger.Warn("outbox dispatch failed; the relay hands the rows over", "err", err, "rows", len(ids))
			released = append(released, ids...)
		}
	}
	if len(released) == 0 {
		return
	}
	releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := d.Store.ReleaseOutbox(releaseCtx, released); err != nil {
		d.Logger.Warn("releasing undispatched outbox rows failed; the relay hands them over after its redelivery delay",
			"err", err, "rows", len(released))
	}
}
