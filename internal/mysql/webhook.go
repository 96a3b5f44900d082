package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// CreateWebhookEndpoint adds an endpoint to the organization. The caller
// has checked the URL and made the secret.
func (d *DB) CreateWebhookEndpoint(ctx context.Context, e *admit.WebhookEndpoint) (err error) {
	defer wrap(&err, "DB.CreateWebhookEndpoint(%d)", e.OrganizationID)
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Secret == "" {
		return errors.New("an endpoint needs a secret")
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		// The organization's row lock serializes creations, so the cap
		// holds under concurrent submits.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE id = ? FOR UPDATE`, e.OrganizationID).Scan(&n); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE organization_id = ?`, e.OrganizationID).Scan(&n); err != nil {
			return err
		}
		if n >= admit.MaxWebhookEndpoints {
			return admit.FieldError("url", "An organization may have at most 20 endpoints; delete one first.")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (organization_id, url, description, event_types, enabled, secret)
			VALUES (?, ?, ?, ?, ?, ?)`, e.OrganizationID, e.URL, e.Description, strings.Join(e.EventTypes, ","), e.Enabled, e.Secret)
		if err != nil {
			return err
		}
		e.ID, err = res.LastInsertId()
		return err
	})
}

// UpdateWebhookEndpoint changes the URL, description, event types and
// enabled state of the organization's endpoint. Enabling clears the reason
// admit disabled it.
func (d *DB) UpdateWebhookEndpoint(ctx context.Context, e *admit.WebhookEndpoint) (err error) {
	defer wrap(&err, "DB.UpdateWebhookEndpoint(%d, %d)", e.OrganizationID, e.ID)
	if err := e.Validate(); err != nil {
		return err
	}
	res, err := d.db.ExecContext(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?,
		disabled_reason = IF(?, '', disabled_reason), enabled = ?, updated_at = NOW(6)
		WHERE id = ? AND organization_id = ?`,
		e.URL, e.Description, strings.Join(e.EventTypes, ","), e.Enabled, e.Enabled, e.ID, e.OrganizationID)
	if err != nil {
		return err
	}
	return d.mustExistWebhookEndpoint(ctx, res, e.OrganizationID, e.ID)
}

// mustExistWebhookEndpoint turns "no row changed" into ENOTFOUND when the
// endpoint is not the organization's (an update with unchanged values also
// changes no row).
func (d *DB) mustExistWebhookEndpoint(ctx context.Context, res sql.Result, orgID, id int64) error {
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var exists bool
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM webhook_endpoints WHERE id = ? AND organization_id = ?`, id, orgID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return admit.Errorf(admit.ENOTFOUND, "Webhook endpoint not found.")
	}
	return nil
}

// RotateWebhookSecret gives the organization's endpoint a new secret; the
// current one keeps signing deliveries (as a second signature) for keepOld.
// A second rotation within that time drops the oldest secret.
func (d *DB) RotateWebhookSecret(ctx context.Context, orgID, id int64, secret string, keepOld time.Duration) (err error) {
	defer wrap(&err, "DB.RotateWebhookSecret(%d, %d)", orgID, id)
	// MariaDB assigns left to right: previous_secret takes the old secret
	// before secret is replaced.
	res, err := d.db.ExecContext(ctx, `UPDATE webhook_endpoints SET previous_secret = secret,
		previous_secret_expires_at = NOW(6) + INTERVAL ? MICROSECOND, secret = ?, updated_at = NOW(6)
		WHERE id = ? AND organization_id = ?`, keepOld.Microseconds(), secret, id, orgID)
	if err != nil {
		return err
	}
	return d.mustExistWebhookEndpoint(ctx, res, orgID, id)
}

// DeleteWebhookEndpoint removes the organization's endpoint with its
// deliveries and their log.
func (d *DB) DeleteWebhookEndpoint(ctx context.Context, orgID, id int64) (err error) {
	defer wrap(&err, "DB.DeleteWebhookEndpoint(%d, %d)", orgID, id)
	res, err := d.db.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ? AND organization_id = ?`, id, orgID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return admit.Errorf(admit.ENOTFOUND, "Webhook endpoint not found.")
	}
	return nil
}

// webhookEndpointColumns reads the previous secret only while it is valid,
// by MySQL's clock.
const webhookEndpointColumns = `e.id, e.organization_id, e.url, e.description, e.event_types, e.enabled, e.disabled_reason, e.secret,
	IF(e.previous_secret_expires_at > NOW(6), e.previous_secret, ''), e.previous_secret_expires_at, e.created_at, e.updated_at`

// webhookEndpointFields scans the columns of webhookEndpointColumns; call
// done after the scan.
func webhookEndpointFields(e *admit.WebhookEndpoint) (dest []any, done func()) {
	var types string
	var expires sql.NullTime
	dest = []any{&e.ID, &e.OrganizationID, &e.URL, &e.Description, &types, &e.Enabled, &e.DisabledReason, &e.Secret,
		&e.PreviousSecret, &expires, &e.CreatedAt, &e.UpdatedAt}
	return dest, func() {
		e.EventTypes = nil
		if types != "" {
			e.EventTypes = strings.Split(types, ",")
		}
		if e.PreviousSecret != "" {
			e.PreviousSecretExpiresAt = expires.Time
		}
	}
}

func scanWebhookEndpoint(scan func(dest ...any) error) (*admit.WebhookEndpoint, error) {
	e := &admit.WebhookEndpoint{}
	dest, done := webhookEndpointFields(e)
	if err := scan(dest...); err != nil {
		return nil, err
	}
	done()
	return e, nil
}

// FindWebhookEndpoint returns the organization's endpoint, or ENOTFOUND.
func (d *DB) FindWebhookEndpoint(ctx context.Context, orgID, id int64) (e *admit.WebhookEndpoint, err error) {
	defer wrap(&err, "DB.FindWebhookEndpoint(%d, %d)", orgID, id)
	e, err = scanWebhookEndpoint(d.db.QueryRowContext(ctx, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e
		WHERE e.id = ? AND e.organization_id = ?`, id, orgID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Webhook endpoint not found.")
	}
	return e, err
}

// ListWebhookEndpoints returns the organization's endpoints, oldest first.
func (d *DB) ListWebhookEndpoints(ctx context.Context, orgID int64) (list []*admit.WebhookEndpoint, err error) {
	defer wrap(&err, "DB.ListWebhookEndpoints(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e
		WHERE e.organization_id = ? ORDER BY e.id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanWebhookEndpoint(rows.Scan)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// HasWebhookSubscribers reports whether an enabled endpoint of the
// organization wants eventType.
func (d *DB) HasWebhookSubscribers(ctx context.Context, orgID int64, eventType string) (ok bool, err error) {
	defer wrap(&err, "DB.HasWebhookSubscribers(%d, %q)", orgID, eventType)
	err = d.db.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM webhook_endpoints
		WHERE organization_id = ? AND enabled AND FIND_IN_SET(?, event_types)`, orgID, eventType).Scan(&ok)
	return ok, err
}

// CreateWebhookDeliveries fans the event of outbox row outboxID out to
// every enabled endpoint of the organization that wants eventType, in one
// statement: one delivery each, due now. Running it again for the same row
// adds nothing (the unique key), except for endpoints subscribed since. It
// returns the event's deliveries that are due and not yet handed to the
// queue, for the caller to enqueue.
func (d *DB) CreateWebhookDeliveries(ctx context.Context, orgID, outboxID int64, eventType, messageID string, payload []byte) (due []admit.WebhookDue, err error) {
	defer wrap(&err, "DB.CreateWebhookDeliveries(%d, %d)", orgID, outboxID)
	if _, err := d.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (organization_id, endpoint_id, outbox_id, message_id, event_type, payload, next_attempt_at)
		SELECT organization_id, id, ?, ?, ?, ?, NOW(6) FROM webhook_endpoints
		WHERE organization_id = ? AND enabled AND FIND_IN_SET(?, event_types)
		ON DUPLICATE KEY UPDATE webhook_deliveries.id = webhook_deliveries.id`, outboxID, messageID, eventType, payload, orgID, eventType); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id, attempts FROM webhook_deliveries
		WHERE outbox_id = ? AND organization_id = ? AND status = 'pending' AND enqueued_for IS NULL ORDER BY id`, outboxID, orgID)
	if err != nil {
		return nil, err
	}
	return scanWebhookDue(rows)
}

// DueWebhookDeliveries returns up to limit pending deliveries whose attempt
// is due, that no attempt is running for, and that were never handed to the
// queue for this attempt or were handed over more than redeliverAfter ago
// (the task may have been lost with Redis).
func (d *DB) DueWebhookDeliveries(ctx context.Context, redeliverAfter time.Duration, limit int) (due []admit.WebhookDue, err error) {
	defer wrap(&err, "DB.DueWebhookDeliveries")
	rows, err := d.db.QueryContext(ctx, `SELECT id, attempts FROM webhook_deliveries
		WHERE status = 'pending' AND next_attempt_at <= NOW(6)
		AND (lease_until IS NULL OR lease_until < NOW(6))
		AND (enqueued_for IS NULL OR enqueued_for < NOW(6) - INTERVAL ? MICROSECOND)
		ORDER BY next_attempt_at LIMIT ?`, redeliverAfter.Microseconds(), limit)
	if err != nil {
		return nil, err
	}
	return scanWebhookDue(rows)
}

// MarkWebhookDeliveriesEnqueued records that the deliveries' attempts were
// handed to the queue now.
func (d *DB) MarkWebhookDeliveriesEnqueued(ctx context.Context, ids []int64) (err error) {
	defer wrap(&err, "DB.MarkWebhookDeliveriesEnqueued")
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids, func(id int64) int64 { return id })
	_, err = d.db.ExecContext(ctx, `UPDATE webhook_deliveries SET enqueued_for = NOW(6) WHERE status = 'pending' AND id IN (`+in+`)`, args...)
	return err
}

const webhookDeliveryColumns = `d.id, d.organization_id, d.endpoint_id, d.outbox_id, d.message_id, d.event_type, d.status, d.attempts,
	d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.finished_at`

// webhookDeliveryFields scans the columns of webhookDeliveryColumns; call
// done after the scan.
func webhookDeliveryFields(w *admit.WebhookDelivery) (dest []any, done func()) {
	var status string
	var next, finished sql.NullTime
	dest = []any{&w.ID, &w.OrganizationID, &w.EndpointID, &w.OutboxID, &w.MessageID, &w.EventType, &status, &w.Attempts,
		&next, &w.LastStatus, &w.LastError, &w.CreatedAt, &finished}
	return dest, func() {
		w.Status, w.NextAttemptAt, w.FinishedAt = admit.WebhookDeliveryStatus(status), next.Time, finished.Time
	}
}

// ClaimWebhookDelivery takes scheduled attempt number attempts+1 of the
// delivery for lease, if it is still pending, due, at that attempt and not
// being attempted; it returns the delivery with its payload and endpoint,
// or ok false when there is nothing to do (done already, not due, another
// worker has it).
func (d *DB) ClaimWebhookDelivery(ctx context.Context, id int64, attempts int, lease time.Duration) (w *admit.WebhookDelivery, e *admit.WebhookEndpoint, ok bool, err error) {
	defer wrap(&err, "DB.ClaimWebhookDelivery(%d)", id)
	res, err := d.db.ExecContext(ctx, `UPDATE webhook_deliveries SET lease_until = NOW(6) + INTERVAL ? MICROSECOND
		WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at <= NOW(6)
		AND (lease_until IS NULL OR lease_until < NOW(6))`, lease.Microseconds(), id, attempts)
	if err != nil {
		return nil, nil, false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, nil, false, err
	}
	w, e, err = d.findWebhookDelivery(ctx, `d.id = ?`, id)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		return nil, nil, false, nil // deleted with its endpoint meanwhile
	}
	return w, e, err == nil, err
}

func (d *DB) findWebhookDelivery(ctx context.Context, where string, args ...any) (*admit.WebhookDelivery, *admit.WebhookEndpoint, error) {
	w, e := &admit.WebhookDelivery{}, &admit.WebhookEndpoint{}
	deliveryDest, deliveryDone := webhookDeliveryFields(w)
	endpointDest, endpointDone := webhookEndpointFields(e)
	dest := append(append(deliveryDest, &w.Payload), endpointDest...)
	err := d.db.QueryRowContext(ctx, `SELECT `+webhookDeliveryColumns+`, d.payload, `+webhookEndpointColumns+`
		FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE `+where, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, admit.Errorf(admit.ENOTFOUND, "Delivery not found.")
	} else if err != nil {
		return nil, nil, err
	}
	deliveryDone()
	endpointDone()
	return w, e, nil
}

// FindWebhookDelivery returns the delivery of the organization's endpoint
// with its payload and endpoint, or ENOTFOUND.
func (d *DB) FindWebhookDelivery(ctx context.Context, orgID, endpointID, id int64) (w *admit.WebhookDelivery, e *admit.WebhookEndpoint, err error) {
	defer wrap(&err, "DB.FindWebhookDelivery(%d, %d, %d)", orgID, endpointID, id)
	return d.findWebhookDelivery(ctx, `d.id = ? AND d.endpoint_id = ? AND d.organization_id = ? AND e.organization_id = ?`, id, endpointID, orgID, orgID)
}

// FindWebhookDeliveryForRedelivery returns the organization's delivery
// with its payload and endpoint, or ENOTFOUND.
func (d *DB) FindWebhookDeliveryForRedelivery(ctx context.Context, orgID, id int64) (w *admit.WebhookDelivery, e *admit.WebhookEndpoint, err error) {
	defer wrap(&err, "DB.FindWebhookDeliveryForRedelivery(%d, %d)", orgID, id)
	return d.findWebhookDelivery(ctx, `d.id = ? AND d.organization_id = ? AND e.organization_id = ?`, id, orgID, orgID)
}

// FinishWebhookAttempt records a scheduled attempt in the log and applies
// the outcome in one transaction: the delivery succeeds, is scheduled again
// in retryIn, fails, or fails and disables its endpoint; a failure also
// queues the owners' and admins' email. The change applies only while the
// delivery is still at this attempt (a manual redelivery may have succeeded
// meanwhile); the attempt is logged either way.
func (d *DB) FinishWebhookAttempt(ctx context.Context, w *admit.WebhookDelivery, a admit.WebhookAttempt, outcome admit.WebhookOutcome, retryIn time.Duration, reason string) (err error) {
	defer wrap(&err, "DB.FinishWebhookAttempt(%d)", w.ID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertWebhookAttempt(ctx, tx, w, a); err != nil {
			return err
		}
		status, next := "pending", sql.NullInt64{}
		switch outcome {
		case admit.WebhookDelivered:
			status = "succeeded"
		case admit.WebhookRetry:
			next = sql.NullInt64{Int64: retryIn.Microseconds(), Valid: true}
		default:
			status = "failed"
		}
		// The dispatcher hands a retry to the queue when it is due.
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, lease_until = NULL,
			next_attempt_at = IF(? IS NULL, NULL, NOW(6) + INTERVAL ? MICROSECOND), enqueued_for = NULL,
			finished_at = IF(? = 'pending', NULL, NOW(6)), last_status = ?, last_error = ?
			WHERE id = ? AND status = 'pending' AND attempts = ?`,
			status, next, next.Int64, status, a.ResponseStatus, truncate(a.Error, 500), w.ID, w.Attempts)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		switch outcome {
		case admit.WebhookDisable:
			res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = ?, updated_at = NOW(6)
				WHERE id = ? AND enabled`, truncate(reason, 255), w.EndpointID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			return notifyWebhookFailing(ctx, tx, w)
		case admit.WebhookGiveUp:
			res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failure_notified_at = NOW(6)
				WHERE id = ? AND (failure_notified_at IS NULL OR failure_notified_at < NOW(6) - INTERVAL 1 DAY)`, w.EndpointID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			return notifyWebhookFailing(ctx, tx, w)
		}
		return nil
	})
}

// notifyWebhookFailing queues the failing-webhook email for every owner and
// admin of the delivery's organization.
func notifyWebhookFailing(ctx context.Context, tx *sql.Tx, w *admit.WebhookDelivery) error {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM memberships WHERE organization_id = ? AND role IN ('owner', 'admin') ORDER BY user_id`,
		w.OrganizationID)
	if err != nil {
		return err
	}
	var users []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		users = append(users, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range users {
		if err := insertOutbox(ctx, tx, w.OrganizationID,
			admit.WebhookFailingPayload{EndpointID: w.EndpointID, DeliveryID: w.ID, UserID: u}); err != nil {
			return err
		}
	}
	return nil
}

func insertWebhookAttempt(ctx context.Context, tx *sql.Tx, w *admit.WebhookDelivery, a admit.WebhookAttempt) error {
	body := a.ResponseBody
	if len(body) > 1024 {
		body = body[:1024]
	}
	if body == nil {
		body = []byte{}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (organization_id, delivery_id, manual, started_at, duration_ms, response_status, response_body, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, w.OrganizationID, w.ID, a.Manual, a.StartedAt.UTC(), a.Duration.Milliseconds(), a.ResponseStatus, body,
		truncate(a.Error, 500))
	return err
}

// AbandonWebhookDelivery fails a claimed delivery without an attempt (its
// endpoint was disabled meanwhile).
func (d *DB) AbandonWebhookDelivery(ctx context.Context, w *admit.WebhookDelivery, reason string) (err error) {
	defer wrap(&err, "DB.AbandonWebhookDelivery(%d)", w.ID)
	_, err = d.db.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed', lease_until = NULL, next_attempt_at = NULL,
		finished_at = NOW(6), last_error = ? WHERE id = ? AND status = 'pending' AND attempts = ?`, truncate(reason, 500), w.ID, w.Attempts)
	return err
}

// RecordManualWebhookAttempt logs an attempt asked for from the console.
// One that got a 2xx marks the delivery succeeded; one that did not changes
// nothing else: a pending delivery keeps its schedule, a failed one stays
// failed.
func (d *DB) RecordManualWebhookAttempt(ctx context.Context, w *admit.WebhookDelivery, a admit.WebhookAttempt, delivered bool) (err error) {
	defer wrap(&err, "DB.RecordManualWebhookAttempt(%d)", w.ID)
	a.Manual = true
	return d.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertWebhookAttempt(ctx, tx, w, a); err != nil {
			return err
		}
		if !delivered {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'succeeded', next_attempt_at = NULL, finished_at = NOW(6),
			last_status = ?, last_error = '' WHERE id = ? AND status <> 'succeeded'`, a.ResponseStatus, w.ID)
		return err
	})
}

// QueueWebhookRedelivery records the organizer's request to send the
// delivery of the organization's endpoint again: one more attempt, with
// the same webhook-id, made by the worker (outbox kind webhook.redeliver).
func (d *DB) QueueWebhookRedelivery(ctx context.Context, orgID, endpointID, deliveryID int64) (err error) {
	defer wrap(&err, "DB.QueueWebhookRedelivery(%d, %d, %d)", orgID, endpointID, deliveryID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var enabled bool
		err := tx.QueryRowContext(ctx, `SELECT e.enabled FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.id = ? AND d.endpoint_id = ? AND d.organization_id = ? AND e.organization_id = ?`, deliveryID, endpointID, orgID, orgID).Scan(&enabled)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "Delivery not found.")
		} else if err != nil {
			return err
		}
		if !enabled {
			return admit.Errorf(admit.ECONFLICT, "The endpoint is disabled: enable it before sending again.")
		}
		return insertOutbox(ctx, tx, orgID, admit.RedeliveryPayload{DeliveryID: deliveryID})
	})
}

// ListWebhookDeliveries returns up to limit deliveries of the
// organization's endpoint, newest first, older than before when it is not
// zero; without payloads.
func (d *DB) ListWebhookDeliveries(ctx context.Context, orgID, endpointID, before int64, limit int) (list []*admit.WebhookDelivery, err error) {
	defer wrap(&err, "DB.ListWebhookDeliveries(%d, %d)", orgID, endpointID)
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := `SELECT ` + webhookDeliveryColumns + ` FROM webhook_deliveries d WHERE d.organization_id = ? AND d.endpoint_id = ?`
	args := []any{orgID, endpointID}
	if before > 0 {
		q += ` AND d.id < ?`
		args = append(args, before)
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY d.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		w := &admit.WebhookDelivery{}
		dest, done := webhookDeliveryFields(w)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		done()
		list = append(list, w)
	}
	return list, rows.Err()
}

// ListWebhookAttempts returns the log of the organization's delivery,
// oldest attempt first.
func (d *DB) ListWebhookAttempts(ctx context.Context, orgID, deliveryID int64) (list []admit.WebhookAttempt, err error) {
	defer wrap(&err, "DB.ListWebhookAttempts(%d, %d)", orgID, deliveryID)
	rows, err := d.db.QueryContext(ctx, `SELECT id, delivery_id, organization_id, manual, started_at, duration_ms, response_status, response_body, error
		FROM webhook_attempts WHERE organization_id = ? AND delivery_id = ? ORDER BY id`, orgID, deliveryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a admit.WebhookAttempt
		var ms int64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.OrganizationID, &a.Manual, &a.StartedAt, &ms, &a.ResponseStatus, &a.ResponseBody, &a.Error); err != nil {
			return nil, err
		}
		a.Duration = time.Duration(ms) * time.Millisecond
		list = append(list, a)
	}
	return list, rows.Err()
}

// FindWebhookFailingNotice returns what the failing-webhook email to user
// needs about the organization's endpoint and delivery, or ENOTFOUND (the
// endpoint was deleted, or the user left the organization).
func (d *DB) FindWebhookFailingNotice(ctx context.Context, orgID, endpointID, deliveryID, userID int64) (n *admit.WebhookFailingNotice, err error) {
	defer wrap(&err, "DB.FindWebhookFailingNotice(%d, %d)", orgID, endpointID)
	n = &admit.WebhookFailingNotice{EndpointID: endpointID}
	err = d.db.QueryRowContext(ctx, `SELECT u.email, u.name, o.name, o.slug, e.url, e.enabled, e.disabled_reason,
		COALESCE(d.event_type, ''), COALESCE(d.message_id, ''), COALESCE(d.last_status, 0), COALESCE(d.last_error, '')
		FROM webhook_endpoints e JOIN organizations o ON o.id = e.organization_id
		JOIN memberships m ON m.organization_id = o.id AND m.user_id = ? AND m.role IN ('owner', 'admin')
		JOIN users u ON u.id = m.user_id
		LEFT JOIN webhook_deliveries d ON d.id = ? AND d.endpoint_id = e.id
		WHERE e.id = ? AND e.organization_id = ?`, userID, deliveryID, endpointID, orgID).
		Scan(&n.To, &n.Name, &n.Organization, &n.OrganizationSlug, &n.URL, &n.Enabled, &n.DisabledReason, &n.EventType, &n.MessageID, &n.LastStatus, &n.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Webhook endpoint not found.")
	}
	return n, err
}

// FindOrderIDByTicket returns the order of the organization's ticket, or
// ENOTFOUND.
func (d *DB) FindOrderIDByTicket(ctx context.Context, orgID, ticketID int64) (id int64, err error) {
	defer wrap(&err, "DB.FindOrderIDByTicket(%d, %d)", orgID, ticketID)
	err = d.db.QueryRowContext(ctx, `SELECT order_id FROM tickets WHERE id = ? AND organization_id = ?`, ticketID, orgID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, admit.Errorf(admit.ENOTFOUND, "Ticket not found.")
	}
	return id, err
}

// QueueWebhookTest records, in the outbox, that the organization's enabled
// endpoint gets a webhook.test event; ENOTFOUND for another organization's
// endpoint, ECONFLICT for a disabled one.
func (d *DB) QueueWebhookTest(ctx context.Context, orgID, endpointID int64) (err error) {
	defer wrap(&err, "DB.QueueWebhookTest(%d, %d)", orgID, endpointID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var enabled bool
		err := tx.QueryRowContext(ctx, `SELECT enabled FROM webhook_endpoints WHERE id = ? AND organization_id = ?`, endpointID, orgID).Scan(&enabled)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "Endpoint not found.")
		} else if err != nil {
			return err
		}
		if !enabled {
			return admit.Errorf(admit.ECONFLICT, "The endpoint is disabled: enable it before sending a test event.")
		}
		return insertOutbox(ctx, tx, orgID, admit.WebhookTestPayload{EndpointID: endpointID})
	})
}

// CreateWebhookTestDelivery creates the delivery of the test event of
// outbox row outboxID to the organization's endpoint alone, if it is
// enabled, once however often it is called, and returns it while it is
// still to be handed to the queue.
func (d *DB) CreateWebhookTestDelivery(ctx context.Context, orgID, endpointID, outboxID int64, eventType, messageID string, payload []byte) (due []admit.WebhookDue, err error) {
	defer wrap(&err, "DB.CreateWebhookTestDelivery(%d, %d, %d)", orgID, endpointID, outboxID)
	if _, err := d.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (organization_id, endpoint_id, outbox_id, message_id, event_type, payload, next_attempt_at)
		SELECT organization_id, id, ?, ?, ?, ?, NOW(6) FROM webhook_endpoints
		WHERE organization_id = ? AND id = ? AND enabled
		ON DUPLICATE KEY UPDATE webhook_deliveries.id = webhook_deliveries.id`, outboxID, messageID, eventType, payload, orgID, endpointID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id, attempts FROM webhook_deliveries
		WHERE outbox_id = ? AND endpoint_id = ? AND organization_id = ? AND status = 'pending' AND enqueued_for IS NULL`, outboxID, endpointID, orgID)
	if err != nil {
		return nil, err
	}
	return scanWebhookDue(rows)
}

// scanWebhookDue reads (id, attempts) rows of deliveries due, and closes
// them.
func scanWebhookDue(rows *sql.Rows) (due []admit.WebhookDue, err error) {
	defer rows.Close()
	for rows.Next() {
		var w admit.WebhookDue
		if err := rows.Scan(&w.ID, &w.Attempts); err != nil {
			return nil, err
		}
		due = append(due, w)
	}
	return due, rows.Err()
}
