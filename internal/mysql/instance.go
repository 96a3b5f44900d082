package mysql

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

// An app server that claims an idempotency key records itself as the key's
// holder, and while it serves it keeps its row in app_instances alive. A
// repeat of a request whose server died finds the holder's row lapsed and
// takes the key over within aliveFor, where it would otherwise wait out
// abandonedAfterSeconds.
const (
	// aliveEvery is how often a serving process renews its row.
	aliveEvery = time.Second
	// aliveFor is how long a renewal counts: three missed renewals (a
	// stalled machine, a MySQL failover) before the others take over.
	aliveFor = 3 * time.Second
)

// newInstanceID names this process among the app servers: host and pid
// for the operator reading the table, and random bytes so that a restart
// with the same pid is a new holder.
func newInstanceID() string {
	host, _ := os.Hostname()
	if len(host) > 32 {
		host = host[:32]
	}
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Instance is the id this handle records as the holder of the keys it
// claims.
func (d *DB) Instance() string { return d.instance }

// holder is what a claim records as its holder: this process once it keeps
// a row alive, else NULL, which only the 30 s rule takes over (a process
// that never announced itself, such as a one-off command, cannot be known
// dead sooner).
func (d *DB) holder() any {
	if d.alive.Load() {
		return d.instance
	}
	return nil
}

// KeepAlive renews this process's row in app_instances every aliveEvery
// until ctx ends, then removes it, so that keys this process still held
// (none, after a graceful drain) are taken over at once. A renewal that
// fails is retried on the next tick: missing a few only lets the others
// take over keys a little early, which the changes behind keys survive
// (each is guarded on its own: one order per hold, paid once).
func (d *DB) KeepAlive(ctx context.Context, onError func(error)) {
	t := time.NewTicker(aliveEvery)
	defer t.Stop()
	for {
		if err := d.renew(ctx); err == nil {
			d.alive.Store(true)
		} else if ctx.Err() == nil {
			onError(fmt.Errorf("renewing app instance %s: %w", d.instance, err))
		}
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			d.db.ExecContext(stop, `DELETE FROM app_instances WHERE id = ?`, d.instance)
			cancel()
			return
		case <-t.C:
		}
	}
}

func (d *DB) renew(ctx context.Context) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO app_instances (id, alive_until) VALUES (?, NOW(6) + INTERVAL ? MICROSECOND)
		ON DUPLICATE KEY UPDATE alive_until = VALUES(alive_until)`, d.instance, aliveFor.Microseconds())
	return err
}
