package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// GaleraNode is one Galera node's conflict counters at one moment.
type GaleraNode struct {
	DSN string
	// CertFailures (wsrep_local_cert_failures) are local transactions that
	// failed certification against a write set from another node; BFAborts
	// (wsrep_local_bf_aborts) local transactions aborted by one being
	// applied. Both stay 0 while one node takes every write.
	CertFailures, BFAborts int64
	Up                     bool
}

// GaleraConflicts is what a run cost in Galera conflicts, over the nodes up
// at its end.
type GaleraConflicts struct {
	CertFailures int64 `json:"cert_failures"`
	BFAborts     int64 `json:"bf_aborts"`
	Nodes        int   `json:"nodes"`
}

// ReadGalera reads the conflict counters of each node (DSNs of the nodes
// themselves, not of a load balancer); a node that does not answer within
// 2 s is not Up.
func ReadGalera(ctx context.Context, dsns []string) []GaleraNode {
	out := make([]GaleraNode, len(dsns))
	for i, dsn := range dsns {
		out[i] = GaleraNode{DSN: dsn}
		db, err := Open(dsn)
		if err != nil {
			continue
		}
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		rows, err := db.SQL().QueryContext(c, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')")
		if err == nil {
			out[i].Up = scanGalera(rows, &out[i]) == nil
		}
		cancel()
		db.Close()
	}
	return out
}

func scanGalera(rows *sql.Rows, n *GaleraNode) error {
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return err
		}
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("%s = %q", name, value)
		}
		if name == "wsrep_local_cert_failures" {
			n.CertFailures = v
		} else {
			n.BFAborts = v
		}
	}
	return rows.Err()
}

// GaleraDelta is the counters' growth between two reads, over the nodes up
// at the second. A node that was down at the first, or whose counters went
// back, restarted in between: all it counted since is the run's.
func GaleraDelta(before, after []GaleraNode) *GaleraConflicts {
	g := &GaleraConflicts{}
	for i := range before {
		b, a := before[i], after[i]
		if !a.Up {
			continue
		}
		if !b.Up || a.CertFailures < b.CertFailures || a.BFAborts < b.BFAborts {
			b = GaleraNode{}
		}
		g.CertFailures += a.CertFailures - b.CertFailures
		g.BFAborts += a.BFAborts - b.BFAborts
		g.Nodes++
	}
	return g
}
