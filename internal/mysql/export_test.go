package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// HoldsInOneBatch takes the holds in one batch, in this order, as when they
// arrive together for one event, and returns each one's answer.
func (d *DB) HoldsInOneBatch(ctx context.Context, holds []*admit.Hold, ttl time.Duration, limits admit.HoldLimits) []error {
	batch := make([]*batchMember[*holdRequest], len(holds))
	for i, h := range holds {
		batch[i] = &batchMember[*holdRequest]{req: newHoldRequest(h, ttl, limits)}
	}
	d.runHoldBatch(ctx, batch)
	errs := make([]error, len(batch))
	for i, m := range batch {
		errs[i] = m.req.outcome(m.err)
	}
	return errs
}

// OrdersInOneBatch places the orders in one batch, in this order, and
// returns each one's answer.
func (d *DB) OrdersInOneBatch(ctx context.Context, ps []admit.PlaceOrder) ([]*admit.PlacedOrder, []error) {
	batch := make([]*batchMember[*orderRequest], len(ps))
	for i, p := range ps {
		batch[i] = &batchMember[*orderRequest]{req: &orderRequest{p: p}}
	}
	d.runOrderBatch(ctx, batch)
	placed := make([]*admit.PlacedOrder, len(batch))
	errs := make([]error, len(batch))
	for i, m := range batch {
		placed[i], errs[i] = m.req.outcome(m.err)
	}
	return placed, errs
}

// TestServerAddr is the local stack's MariaDB (or ADMIT_TEST_MYSQL_DSN's).
var TestServerAddr = testServerAddr

// BatchScript runs stmts as one script in a batch's transaction, as a batch
// does (causal: its first statement waits for Galera's causality), and
// returns the rows each SELECT among them read, one column as strings.
// "GUARD n" adds a guard that the previous statement changed n rows;
// "COMMIT" ends the script with COMMIT.
func (d *DB) BatchScript(ctx context.Context, causal bool, stmts ...string) ([][]string, error) {
	var out [][]string
	err, _ := d.batchTx(ctx, func(tx dbtx) error {
		out = nil
		var s script
		if causal {
			s.causalFirst()
		}
		for _, q := range stmts {
			if n, ok := strings.CutPrefix(q, "GUARD "); ok {
				want, err := strconv.Atoi(n)
				if err != nil {
					return err
				}
				s.guard(want)
				continue
			}
			if q == "COMMIT" {
				s.commit()
				continue
			}
			if !strings.HasPrefix(q, "SELECT") {
				s.exec(q)
				continue
			}
			i := len(out)
			out = append(out, []string{})
			s.query(func(rows *sql.Rows) error {
				for rows.Next() {
					var v string
					if err := rows.Scan(&v); err != nil {
						return err
					}
					out[i] = append(out[i], v)
				}
				return rows.Err()
			}, q)
		}
		return s.run(ctx, tx)
	})
	return out, err
}

// IsGuardFailure reports whether err is a script's failed guard.
func IsGuardFailure(err error) bool { return errors.Is(err, errGuard) }
