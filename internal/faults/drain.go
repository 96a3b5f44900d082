package faults

import (
	"context"
	"time"

	"github.com/admithq/admit/internal/mysql"
)

// waitDrained waits until every side effect of the run is done: no outbox
// row of the organization undone, no webhook delivery unfinished, every
// paid order's confirmation in the SES store and every order.paid event at
// the receiver. It reports whether that happened before ctx ended.
func waitDrained(ctx context.Context, db *mysql.DB, fx *fixture, mail *mailCollector, recv *receiver, logf func(string, ...any)) bool {
	lastLog := time.Time{}
	lastEmails, emailsSince := -1, time.Now()
	for {
		mail.Poll(ctx)
		var undone, deliveries, paid, events int
		q := db.SQL()
		err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE organization_id = ? AND done_at IS NULL`, fx.OrgID).Scan(&undone)
		if err == nil {
			err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'pending'`, fx.EndpointID).Scan(&deliveries)
		}
		if err == nil {
			err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE organization_id = ? AND status = 'paid'`, fx.OrgID).Scan(&paid)
		}
		if err == nil {
			err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE organization_id = ? AND kind = 'webhook.order.paid'`, fx.OrgID).Scan(&events)
		}
		got, _ := recv.Received()
		emails := len(mail.Confirmations())
		if emails != lastEmails {
			lastEmails, emailsSince = emails, time.Now()
		}
		// Every email recorded as sent and none new for a while: what is
		// still not in the store was lost with it (a killed emulator).
		settled := undone == 0 && time.Since(emailsSince) > 20*time.Second
		if err == nil && undone == 0 && deliveries == 0 && (emails >= paid || settled) && len(got) >= events {
			logf("drained: %d paid orders, %d confirmations, %d webhook events", paid, emails, len(got))
			return true
		}
		if time.Since(lastLog) > 10*time.Second {
			lastLog = time.Now()
			if err != nil {
				logf("draining: %v", err)
			} else {
				logf("draining: %d side effects undone, %d webhook deliveries pending, %d/%d confirmations, %d/%d events received",
					undone, deliveries, emails, paid, len(got), events)
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(2 * time.Second):
		}
	}
}
