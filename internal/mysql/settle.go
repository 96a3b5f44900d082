package mysql

import (
	"context"
	"errors"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// settleFor is how long a write that records an effect which already
// happened keeps trying through an outage: longer than a database failover
// (seconds), shorter than a client's patience.
const settleFor = 20 * time.Second

// failoverPoll is how often a write that waits out a failover (settle, a
// batch: runBatch) asks again while MySQL does not answer at all.
const failoverPoll = 100 * time.Millisecond

// settle runs fn, a write that records what has already happened (an email
// SES accepted, the answer a client was given), again while MySQL is
// unreachable, failing over or deadlocked, for up to settleFor: giving up at
// once would make the effect happen a second time (the email re-sent), or
// keep a client's retry waiting for a key nobody holds.
func settle(ctx context.Context, fn func(ctx context.Context) error) error {
	deadline := time.Now().Add(settleFor)
	wait := 50 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = settleWait(wait, err)
	}
}

// settleWait is the wait before settle tries again after err, following a
// wait of wait. At most half a second: a batch whose COMMIT answer was lost
// holds its event's lane while it asks, so a long wait here would hold
// every buyer of the event well past the failover it waits out. While MySQL
// does not answer at all (a writer failing over), failoverPoll: the new
// writer takes sessions about a second after the old one's death (0.8 to
// 1.5 s on the paired stack), and with the doubling alone the first
// question after that came up to half a second late, every buyer of the
// lane waiting on it.
func settleWait(wait time.Duration, err error) time.Duration {
	wait = min(2*wait, 500*time.Millisecond)
	if unreachable(err) {
		wait = min(wait, failoverPoll)
	}
	return wait
}

// transient reports whether err may go away by itself: a lost or refused
// connection, a Galera node not (yet) in the primary component (1047), a
// deadlock or lock wait timeout. An error about the statement itself is not.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1047, 1205, 1213, 1927, 2006, 2013:
			return true
		}
		return false
	}
	return true // a driver or network error: no answer from the server
}
