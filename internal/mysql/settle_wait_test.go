package mysql

import (
	"net"
	"syscall"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// TestSettleAsksOftenWhileMySQLIsAway: a write that waits out a writer's
// failover asks again every failoverPoll while MySQL does not answer, so it
// goes through within that of the new writer taking sessions; after a
// deadlock or a lock wait, which MySQL answered, it backs off to half a
// second.
func TestSettleAsksOftenWhileMySQLIsAway(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		max  time.Duration
	}{
		{"lost connection", gomysql.ErrInvalidConn, failoverPoll},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, failoverPoll},
		{"not in the primary component", &gomysql.MySQLError{Number: 1047}, failoverPoll},
		{"deadlock", &gomysql.MySQLError{Number: 1213}, 500 * time.Millisecond},
	} {
		wait, longest := 50*time.Millisecond, time.Duration(0)
		for range 10 {
			wait = settleWait(wait, c.err)
			longest = max(longest, wait)
		}
		if longest != c.max {
			t.Errorf("%s: the waits grew to %v, want %v", c.name, longest, c.max)
		}
	}
}
