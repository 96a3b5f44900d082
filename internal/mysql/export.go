package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// CreateExport records a request for an export of the organization's event
// and, in the same transaction, the outbox row that has the worker build it.
// The same export (event, kind, format) already queued or running is
// returned instead with existing true: a double submit builds one file.
func (d *DB) CreateExport(ctx context.Context, e *admit.Export) (existing bool, err error) {
	defer wrap(&err, "DB.CreateExport(%d, %d)", e.OrganizationID, e.EventID)
	switch {
	case e.Kind != admit.ExportOrders && e.Kind != admit.ExportAttendees && e.Kind != admit.ExportCheckIns:
		return false, admit.FieldError("kind", "Choose what to export.")
	case e.Format != admit.ExportCSV && e.Format != admit.ExportXLSX:
		return false, admit.FieldError("format", "Choose CSV or Excel.")
	}
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		existing = false
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name FROM events WHERE id = ? AND organization_id = ?`, e.EventID, e.OrganizationID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.FieldError("event", "Choose one of your events.")
		} else if err != nil {
			return err
		}
		e.EventName = name
		var id int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM exports WHERE organization_id = ? AND event_id = ? AND kind = ? AND format = ?
			AND status IN ('queued', 'running') ORDER BY id LIMIT 1 FOR UPDATE`, e.OrganizationID, e.EventID, e.Kind, e.Format).Scan(&id)
		if err == nil {
			existing = true
			e.ID = id
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO exports (organization_id, event_id, kind, format, requested_by) VALUES (?, ?, ?, ?, NULLIF(?, 0))`,
			e.OrganizationID, e.EventID, e.Kind, e.Format, e.RequestedBy)
		if err != nil {
			return err
		}
		if e.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		e.Status = admit.ExportQueued
		return insertOutbox(ctx, tx, e.OrganizationID, admit.ExportBuildPayload{ExportID: e.ID})
	})
	return existing, err
}

const exportColumns = `x.id, x.organization_id, x.event_id, ev.name, x.kind, x.format, x.status, x.attempt, x.rows_written,
	x.file_key, x.file_name, x.size_bytes, x.error, COALESCE(x.requested_by, 0), COALESCE(NULLIF(u.name, ''), u.email, ''),
	x.created_at, x.started_at, x.finished_at, x.expires_at, COALESCE(x.expires_at <= NOW(6), FALSE)`

const exportFrom = ` FROM exports x JOIN events ev ON ev.id = x.event_id LEFT JOIN users u ON u.id = x.requested_by `

func scanExport(rows *sql.Rows) (*admit.Export, error) {
	e := &admit.Export{}
	var status string
	var started, finished, expires sql.NullTime
	err := rows.Scan(&e.ID, &e.OrganizationID, &e.EventID, &e.EventName, &e.Kind, &e.Format, &status, &e.Attempt, &e.Rows,
		&e.FileKey, &e.FileName, &e.Size, &e.Error, &e.RequestedBy, &e.RequestedByName,
		&e.CreatedAt, &started, &finished, &expires, &e.Expired)
	e.Status, e.StartedAt, e.FinishedAt, e.ExpiresAt = admit.ExportStatus(status), started.Time, finished.Time, expires.Time
	return e, err
}

func findExport(ctx context.Context, q queryer, orgID, id int64) (*admit.Export, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+exportColumns+exportFrom+`WHERE x.organization_id = ? AND x.id = ?`, orgID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, admit.Errorf(admit.ENOTFOUND, "Export not found.")
	}
	return scanExport(rows)
}

// FindExport returns the organization's export with id, or ENOTFOUND.
func (d *DB) FindExport(ctx context.Context, orgID, id int64) (e *admit.Export, err error) {
	defer wrap(&err, "DB.FindExport(%d, %d)", orgID, id)
	return findExport(ctx, d.db, orgID, id)
}

// ListExports returns the organization's latest exports, newest first.
func (d *DB) ListExports(ctx context.Context, orgID int64, limit int) (list []*admit.Export, err error) {
	defer wrap(&err, "DB.ListExports(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT `+exportColumns+exportFrom+`WHERE x.organization_id = ? ORDER BY x.id DESC LIMIT ?`, orgID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanExport(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// ClaimExport starts a build of the organization's export: a queued or
// failed export, or a running one whose builder has not reported for
// staleAfter (it died), becomes running with a new attempt number, and
// claimed is true. A done export, or one another builder is working on, is
// returned unchanged with claimed false.
func (d *DB) ClaimExport(ctx context.Context, orgID, id int64, staleAfter time.Duration) (e *admit.Export, claimed bool, err error) {
	defer wrap(&err, "DB.ClaimExport(%d, %d)", orgID, id)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		claimed = false
		res, err := tx.ExecContext(ctx, `UPDATE exports SET status = 'running', attempt = attempt + 1, rows_written = 0, error = '',
			started_at = NOW(6), updated_at = NOW(6), finished_at = NULL
			WHERE organization_id = ? AND id = ?
			AND (status IN ('queued', 'failed') OR (status = 'running' AND updated_at < NOW(6) - INTERVAL ? MICROSECOND))`,
			orgID, id, staleAfter.Microseconds())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		claimed = n == 1
		e, err = findExport(ctx, tx, orgID, id)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return e, claimed, nil
}

// errExportSuperseded means a newer attempt took the export over.
var errExportSuperseded = admit.Errorf(admit.ECONFLICT, "Another attempt has taken this export over.")

// ExportProgress records how many rows attempt has written so far; it is
// also the builder's heartbeat. It is ECONFLICT if a newer attempt took the
// export over.
func (d *DB) ExportProgress(ctx context.Context, orgID, id int64, attempt, rows int) (err error) {
	defer wrap(&err, "DB.ExportProgress(%d, %d)", orgID, id)
	res, err := d.db.ExecContext(ctx, `UPDATE exports SET rows_written = ?, updated_at = NOW(6)
		WHERE organization_id = ? AND id = ? AND attempt = ? AND status = 'running'`, rows, orgID, id, attempt)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errExportSuperseded
	}
	return nil
}

// CompleteExport records the stored file of attempt; the download link works
// for keepFor. It reports false if a newer attempt took the export over.
func (d *DB) CompleteExport(ctx context.Context, orgID, id int64, attempt int, f admit.ExportFile, keepFor time.Duration) (done bool, err error) {
	defer wrap(&err, "DB.CompleteExport(%d, %d)", orgID, id)
	res, err := d.db.ExecContext(ctx, `UPDATE exports SET status = 'done', rows_written = ?, size_bytes = ?, file_key = ?, file_name = ?,
		updated_at = NOW(6), finished_at = NOW(6), expires_at = NOW(6) + INTERVAL ? MICROSECOND
		WHERE organization_id = ? AND id = ? AND attempt = ? AND status = 'running'`,
		f.Rows, f.Size, f.Key, truncate(f.Name, 255), keepFor.Microseconds(), orgID, id, attempt)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FailExport records why attempt failed; a retry may claim it again.
func (d *DB) FailExport(ctx context.Context, orgID, id int64, attempt int, cause string) (err error) {
	defer wrap(&err, "DB.FailExport(%d, %d)", orgID, id)
	_, err = d.db.ExecContext(ctx, `UPDATE exports SET status = 'failed', error = ?, updated_at = NOW(6), finished_at = NOW(6)
		WHERE organization_id = ? AND id = ? AND attempt = ? AND status = 'running'`, truncate(cause, 1000), orgID, id, attempt)
	return err
}

// ExportOrders returns up to limit orders of the organization's event with
// an id above afterID, in id order: one page of a keyset scan, so an export
// of any size holds one page at a time.
func (d *DB) ExportOrders(ctx context.Context, orgID, eventID, afterID int64, limit int) (list []admit.ExportOrder, err error) {
	defer wrap(&err, "DB.ExportOrders(%d, %d, %d)", orgID, eventID, afterID)
	rows, err := d.db.QueryContext(ctx, `SELECT o.id, o.reference, o.status, o.buyer_name, o.buyer_email, o.total, o.discount_total,
		o.refunded_total, o.currency, COALESCE(dc.code, ''), o.payment_provider, o.payment_ref, o.created_at, o.paid_at
		FROM orders o LEFT JOIN discount_codes dc ON dc.id = o.discount_code_id
		WHERE o.organization_id = ? AND o.event_id = ? AND o.id > ? ORDER BY o.id LIMIT ?`, orgID, eventID, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	index := map[int64]int{}
	for rows.Next() {
		var o admit.ExportOrder
		var status string
		var paid sql.NullTime
		if err := rows.Scan(&o.ID, &o.Reference, &status, &o.BuyerName, &o.BuyerEmail, &o.Total, &o.DiscountTotal, &o.RefundedTotal,
			&o.Currency, &o.DiscountCode, &o.PaymentProvider, &o.PaymentRef, &o.CreatedAt, &paid); err != nil {
			return nil, err
		}
		o.Status, o.PaidAt = admit.OrderStatus(status), paid.Time
		index[o.ID] = len(list)
		list = append(list, o)
	}
	if err := rows.Err(); err != nil || len(list) == 0 {
		return list, err
	}
	rows.Close()
	// The page's own id range, and the join order fixed: with a list of
	// 1,000 ids, or with statistics not yet updated after a bulk insert,
	// MariaDB starts from the few ticket types and reads every line of each
	// for every page.
	lines, err := d.db.QueryContext(ctx, `SELECT STRAIGHT_JOIN ol.order_id, ol.ticket_type_id, tt.name, ol.quantity, ol.unit_price
		FROM orders o JOIN order_lines ol ON ol.order_id = o.id JOIN ticket_types tt ON tt.id = ol.ticket_type_id
		WHERE o.organization_id = ? AND o.event_id = ? AND o.id > ? AND o.id <= ?
		ORDER BY ol.order_id, tt.position, tt.id`, orgID, eventID, afterID, list[len(list)-1].ID)
	if err != nil {
		return nil, err
	}
	defer lines.Close()
	for lines.Next() {
		var orderID int64
		var l admit.OrderLine
		if err := lines.Scan(&orderID, &l.TicketTypeID, &l.Name, &l.Quantity, &l.UnitPrice); err != nil {
			return nil, err
		}
		if i, ok := index[orderID]; ok {
			list[i].Lines = append(list[i].Lines, l)
		}
	}
	return list, lines.Err()
}

// ExportAttendees returns up to limit tickets (every status) of the
// organization's event with an id above afterID, in id order.
func (d *DB) ExportAttendees(ctx context.Context, orgID, eventID, afterID int64, limit int) (list []admit.ExportAttendee, err error) {
	defer wrap(&err, "DB.ExportAttendees(%d, %d, %d)", orgID, eventID, afterID)
	rows, err := d.db.QueryContext(ctx, `SELECT t.id, t.code, tt.name, t.attendee_name, t.attendee_email, t.status,
		o.reference, o.status, o.buyer_name, o.buyer_email
		FROM tickets t JOIN orders o ON o.id = t.order_id JOIN ticket_types tt ON tt.id = t.ticket_type_id
		WHERE t.organization_id = ? AND o.organization_id = ? AND o.event_id = ? AND t.id > ? ORDER BY t.id LIMIT ?`,
		orgID, orgID, eventID, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	index := map[int64]int{}
	for rows.Next() {
		var a admit.ExportAttendee
		var ticketStatus, orderStatus string
		if err := rows.Scan(&a.TicketID, &a.Code, &a.TicketType, &a.AttendeeName, &a.AttendeeEmail, &ticketStatus,
			&a.OrderReference, &orderStatus, &a.BuyerName, &a.BuyerEmail); err != nil {
			return nil, err
		}
		a.TicketStatus, a.OrderStatus = admit.TicketStatus(ticketStatus), admit.OrderStatus(orderStatus)
		index[a.TicketID] = len(list)
		list = append(list, a)
	}
	if err := rows.Err(); err != nil || len(list) == 0 {
		return list, err
	}
	rows.Close()
	// The page's id range (see ExportOrders); rows of tickets in the range
	// that belong to another event are skipped below.
	first, last := afterID, list[len(list)-1].TicketID
	answers, err := d.db.QueryContext(ctx, `SELECT ticket_id, question_id, value FROM answers
		WHERE organization_id = ? AND ticket_id > ? AND ticket_id <= ?`, orgID, first, last)
	if err != nil {
		return nil, err
	}
	defer answers.Close()
	for answers.Next() {
		var ticketID, questionID int64
		var value string
		if err := answers.Scan(&ticketID, &questionID, &value); err != nil {
			return nil, err
		}
		if i, ok := index[ticketID]; ok {
			if list[i].Answers == nil {
				list[i].Answers = map[int64]string{}
			}
			list[i].Answers[questionID] = value
		}
	}
	if err := answers.Err(); err != nil {
		return nil, err
	}
	answers.Close()
	checkins, err := d.db.QueryContext(ctx, `SELECT ticket_id, MAX(created_at) FROM checkins
		WHERE organization_id = ? AND undone_at IS NULL AND ticket_id > ? AND ticket_id <= ? GROUP BY ticket_id`, orgID, first, last)
	if err != nil {
		return nil, err
	}
	defer checkins.Close()
	for checkins.Next() {
		var ticketID int64
		var at time.Time
		if err := checkins.Scan(&ticketID, &at); err != nil {
			return nil, err
		}
		if i, ok := index[ticketID]; ok {
			list[i].CheckedInAt = at
		}
	}
	return list, checkins.Err()
}

// ExportCheckIns returns up to limit check-ins on the lists of the
// organization's event with an id above afterID, in id order.
func (d *DB) ExportCheckIns(ctx context.Context, orgID, eventID, afterID int64, limit int) (list []admit.ExportCheckIn, err error) {
	defer wrap(&err, "DB.ExportCheckIns(%d, %d, %d)", orgID, eventID, afterID)
	rows, err := d.db.QueryContext(ctx, `SELECT c.id, c.created_at, l.name, t.code, tt.name, t.attendee_name, o.reference,
		COALESCE(NULLIF(u.name, ''), u.email, ''), c.undone_at
		FROM checkins c JOIN checkin_lists l ON l.id = c.list_id JOIN tickets t ON t.id = c.ticket_id
		JOIN ticket_types tt ON tt.id = t.ticket_type_id JOIN orders o ON o.id = t.order_id
		LEFT JOIN users u ON u.id = c.checked_in_by
		WHERE c.organization_id = ? AND l.organization_id = ? AND l.event_id = ? AND c.id > ? ORDER BY c.id LIMIT ?`,
		orgID, orgID, eventID, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c admit.ExportCheckIn
		var undone sql.NullTime
		if err := rows.Scan(&c.ID, &c.CreatedAt, &c.List, &c.Code, &c.TicketType, &c.AttendeeName, &c.OrderReference,
			&c.CheckedInBy, &undone); err != nil {
			return nil, err
		}
		c.UndoneAt = undone.Time
		list = append(list, c)
	}
	return list, rows.Err()
}

// inList returns "?, ?, ..." and the ids of items for an IN clause.
func inList[T any](items []T, id func(T) int64) (string, []any) {
	args := make([]any, len(items))
	for i, it := range items {
		args[i] = id(it)
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(items)), ", "), args
}

// OrganizationOutboxStats returns the figures of the organization's undone
// side effects: what its operations page shows. (OutboxStats covers every
// organization, for the operators' metrics.)
func (d *DB) OrganizationOutboxStats(ctx context.Context, orgID int64) (s admit.OutboxStats, err error) {
	defer wrap(&err, "DB.OrganizationOutboxStats(%d)", orgID)
	var oldest sql.NullInt64
	err = d.db.QueryRowContext(ctx, `SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)), COALESCE(SUM(last_error <> ''), 0)
		FROM outbox WHERE done_at IS NULL AND organization_id = ?`, orgID).Scan(&s.Pending, &oldest, &s.FailingCount)
	s.OldestAge = time.Duration(oldest.Int64) * time.Microsecond
	return s, err
}

// OrganizationOutboxRows returns those of the outbox rows ids that belong to
// the organization, keyed by id, without their payloads.
func (d *DB) OrganizationOutboxRows(ctx context.Context, orgID int64, ids []int64) (found map[int64]admit.OutboxRow, err error) {
	defer wrap(&err, "DB.OrganizationOutboxRows(%d)", orgID)
	found = map[int64]admit.OutboxRow{}
	if len(ids) == 0 {
		return found, nil
	}
	in, args := inList(ids, func(id int64) int64 { return id })
	rows, err := d.db.QueryContext(ctx, `SELECT id, organization_id, kind, created_at, attempts, done_at IS NOT NULL FROM outbox
		WHERE organization_id = ? AND id IN (`+in+`)`, append([]any{orgID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r admit.OutboxRow
		if err := rows.Scan(&r.ID, &r.OrganizationID, &r.Kind, &r.CreatedAt, &r.Attempts, &r.Done); err != nil {
			return nil, err
		}
		found[r.ID] = r
	}
	return found, rows.Err()
}
