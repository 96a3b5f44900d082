package mysql

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/admithq/admit/internal/admit"
)

const eventColumns = `id, organization_id, slug, name, description, venue, address, time_zone,
	starts_at, ends_at, currency, status, hold_minutes, contact_email, created_at, updated_at,
	waiting_room, waiting_room_opens_at, waiting_room_rate,
	banner_url, terms_url, payment_payee, payment_iban, payment_bic, payment_text, payment_due_days`

func scanEvent(row interface{ Scan(...any) error }) (*admit.Event, error) {
	e := &admit.Event{}
	var ends, opens sql.NullTime
	var status string
	err := row.Scan(&e.ID, &e.OrganizationID, &e.Slug, &e.Name, &e.Description, &e.Venue, &e.Address, &e.TimeZone,
		&e.StartsAt, &ends, &e.Currency, &status, &e.HoldMinutes, &e.ContactEmail, &e.CreatedAt, &e.UpdatedAt,
		&e.WaitingRoom, &opens, &e.WaitingRoomRate,
		&e.BannerURL, &e.TermsURL, &e.Payment.Payee, &e.Payment.IBAN, &e.Payment.BIC, &e.Payment.Text, &e.Payment.DueDays)
	e.WaitingRoomOpensAt = opens.Time
	if err != nil {
		return nil, err
	}
	e.EndsAt = ends.Time
	e.Status = admit.EventStatus(status)
	return e, nil
}

// CreateEvent validates e, inserts it and sets its ID.
func (d *DB) CreateEvent(ctx context.Context, e *admit.Event) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.CreateEvent(%d, %q)", e.OrganizationID, e.Slug)
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Status == "" {
		e.Status = admit.EventDraft
	}
	// The event comes with its check-in list: the door works from day one
	// without anyone having to make one.
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO events (organization_id, slug, name, description, venue, address,
			time_zone, starts_at, ends_at, currency, status, hold_minutes, contact_email)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.OrganizationID, e.Slug, e.Name, e.Description, e.Venue, e.Address, e.TimeZone, e.StartsAt.UTC(),
			nullTime(e.EndsAt), e.Currency, string(e.Status), e.HoldMinutes, e.ContactEmail)
		if isDuplicate(err) {
			return admit.FieldError("slug", "Another event of this organization uses this address.")
		} else if err != nil {
			return err
		}
		if e.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return createDefaultCheckInList(ctx, tx, e.OrganizationID, e.ID)
	})
}

// FindPublicEvent returns the published (or closed) event with slug of the
// organization with orgSlug, for the public pages; drafts and archived events
// are ENOTFOUND.
func (d *DB) FindPublicEvent(ctx context.Context, orgSlug, eventSlug string) (e *admit.Event, err error) {
	defer wrap(&err, "DB.FindPublicEvent(%q, %q)", orgSlug, eventSlug)
	row := d.db.QueryRowContext(ctx, `SELECT `+prefixed("e", eventColumns)+`
		FROM events e JOIN organizations o ON o.id = e.organization_id
		WHERE o.slug = ? AND e.slug = ? AND e.status IN ('published', 'closed')`, orgSlug, eventSlug)
	e, err = scanEvent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	return e, err
}

// FindEvent returns the event id of the organization, or ENOTFOUND.
func (d *DB) FindEvent(ctx context.Context, orgID, id int64) (e *admit.Event, err error) {
	defer wrap(&err, "DB.FindEvent(%d, %d)", orgID, id)
	row := d.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE organization_id = ? AND id = ?`, orgID, id)
	e, err = scanEvent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	return e, err
}

// FindEventBySlug returns the event of the organization with slug, whatever
// its status, or ENOTFOUND.
func (d *DB) FindEventBySlug(ctx context.Context, orgID int64, slug string) (e *admit.Event, err error) {
	defer wrap(&err, "DB.FindEventBySlug(%d, %q)", orgID, slug)
	row := d.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE organization_id = ? AND slug = ?`, orgID, slug)
	e, err = scanEvent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	return e, err
}

// ListEvents returns the organization's events, newest start first.
func (d *DB) ListEvents(ctx context.Context, orgID int64) (events []*admit.Event, err error) {
	defer wrap(&err, "DB.ListEvents(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE organization_id = ? ORDER BY starts_at DESC, id DESC`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// SummarizeEvent returns the event's order figures.
func (d *DB) SummarizeEvent(ctx context.Context, orgID, eventID int64) (s admit.EventSummary, err error) {
	defer wrap(&err, "DB.SummarizeEvent(%d, %d)", orgID, eventID)
	err = d.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(status = 'paid'), 0),
		COALESCE(SUM(created_at >= UTC_DATE()), 0), COALESCE(SUM(IF(status = 'paid', total, 0)), 0)
		FROM orders WHERE organization_id = ? AND event_id = ?`, orgID, eventID).Scan(&s.Orders, &s.PaidOrders, &s.OrdersToday, &s.Revenue)
	if err != nil {
		return s, err
	}
	err = d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets t JOIN orders o ON o.id = t.order_id
		WHERE o.organization_id = ? AND o.event_id = ? AND t.status = 'valid'`, orgID, eventID).Scan(&s.TicketsSold)
	return s, err
}

// SalesByDay returns tickets of paid orders per day for the last days days,
// oldest first, with zero days included.
func (d *DB) SalesByDay(ctx context.Context, orgID, eventID int64, days int) (out []admit.DaySales, err error) {
	defer wrap(&err, "DB.SalesByDay(%d, %d)", orgID, eventID)
	rows, err := d.db.QueryContext(ctx, `SELECT DATE(o.paid_at), SUM(ol.quantity) FROM orders o JOIN order_lines ol ON ol.order_id = o.id
		WHERE o.organization_id = ? AND o.event_id = ? AND o.status = 'paid' AND o.paid_at >= UTC_DATE() - INTERVAL ? DAY
		GROUP BY DATE(o.paid_at)`, orgID, eventID, days-1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byDay := map[string]int{}
	for rows.Next() {
		var day time.Time
		var n int
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		byDay[day.Format("2006-01-02")] = n
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i := days - 1; i >= 0; i-- {
		day := today.AddDate(0, 0, -i)
		out = append(out, admit.DaySales{Day: day, Tickets: byDay[day.Format("2006-01-02")]})
	}
	return out, rows.Err()
}

func findEventInTx(ctx context.Context, tx *sql.Tx, orgID, id int64) (*admit.Event, error) {
	e, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE organization_id = ? AND id = ?`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	return e, err
}

// UpdateEvent validates e and stores its fields, all but its status, for
// the event e.ID of organization e.OrganizationID, or reports ENOTFOUND. The
// currency may change only while the event has no orders; the guard is part
// of the statement, so an order placed at the same moment is never left
// priced in a currency its event no longer has.
func (d *DB) UpdateEvent(ctx context.Context, e *admit.Event) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.UpdateEvent(%d, %d)", e.OrganizationID, e.ID)
	if err := e.ValidateDetails(); err != nil {
		return err
	}
	res, err := d.db.ExecContext(ctx, `UPDATE events SET slug = ?, name = ?, description = ?, venue = ?, address = ?,
		time_zone = ?, starts_at = ?, ends_at = ?, currency = ?, hold_minutes = ?, contact_email = ?
		WHERE organization_id = ? AND id = ?
		AND (currency = ? OR NOT EXISTS (SELECT 1 FROM orders WHERE organization_id = ? AND event_id = ?))`,
		e.Slug, e.Name, e.Description, e.Venue, e.Address, e.TimeZone, e.StartsAt.UTC(), nullTime(e.EndsAt),
		e.Currency, e.HoldMinutes, e.ContactEmail, e.OrganizationID, e.ID, e.Currency, e.OrganizationID, e.ID)
	if isDuplicate(err) {
		return admit.FieldError("slug", "Another event of this organization uses this address.")
	} else if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	// Nothing changed: the event is missing, the currency guard refused, or
	// the form repeated what is stored (MySQL counts only changed rows).
	var currency string
	var hasOrders bool
	err = d.db.QueryRowContext(ctx, `SELECT currency, EXISTS (SELECT 1 FROM orders WHERE organization_id = ? AND event_id = ?)
		FROM events WHERE organization_id = ? AND id = ?`, e.OrganizationID, e.ID, e.OrganizationID, e.ID).Scan(&currency, &hasOrders)
	if errors.Is(err, sql.ErrNoRows) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	} else if err != nil {
		return err
	}
	if currency != e.Currency && hasOrders {
		return admit.FieldError("currency", "The currency cannot change: this event has orders in "+currency+".")
	}
	return nil
}

// SetEventStatus moves the event from status from to status to, if that is
// an allowed transition (admit.EventStatus.CanBecome). The change is guarded
// by the status the caller saw: if another request changed it first, the
// error is ECONFLICT and nothing changes. Publishing writes the
// event.published webhook event in the same transaction.
func (d *DB) SetEventStatus(ctx context.Context, orgID, id int64, from, to admit.EventStatus) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.SetEventStatus(%d, %d, %s→%s)", orgID, id, from, to)
	if !from.CanBecome(to) {
		return admit.Errorf(admit.EINVALID, "An event that is %s cannot become %s.", from, to)
	}
	var changed bool
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE events SET status = ? WHERE organization_id = ? AND id = ? AND status = ?`,
			string(to), orgID, id, string(from))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if changed = n > 0; err != nil || !changed || to != admit.EventPublished {
			return err
		}
		// Integrators hear of the publication exactly when it commits.
		return insertOutbox(ctx, tx, orgID, admit.WebhookEvent{Type: "event.published", EventID: id})
	})
	if err != nil || changed {
		return err
	}
	var now string
	err = d.db.QueryRowContext(ctx, `SELECT status FROM events WHERE organization_id = ? AND id = ?`, orgID, id).Scan(&now)
	if errors.Is(err, sql.ErrNoRows) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	} else if err != nil {
		return err
	}
	return admit.Errorf(admit.ECONFLICT, "The event changed meanwhile: it is now %s.", now)
}

// copySuffix matches the "-copy" or "-copy-N" a duplicated event's slug
// ends with, so that a copy of a copy is "conf-copy-2", not "conf-copy-copy".
var copySuffix = regexp.MustCompile(`-copy(-[0-9]+)?$`)

// DuplicateEvent copies the event id of the organization, with its ticket
// types, into a new draft whose slug is the original's with "-copy" (then
// "-copy-2", "-copy-3", …) and whose counters start at zero. It returns the
// copy.
func (d *DB) DuplicateEvent(ctx context.Context, orgID, id int64) (e *admit.Event, err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.DuplicateEvent(%d, %d)", orgID, id)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		src, err := findEventInTx(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		base := copySuffix.ReplaceAllString(src.Slug, "")
		taken := map[string]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT slug FROM events WHERE organization_id = ? AND slug LIKE ?`, orgID, base[:min(len(base), 50)]+"%")
		if err != nil {
			return err
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			taken[s] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		name := src.Name
		if !strings.HasSuffix(name, " (copy)") {
			name = truncateBytes(name, 200-len(" (copy)")) + " (copy)"
		}
		for n := 1; n <= 1000; n++ {
			slug := copySlug(base, n)
			if taken[slug] {
				continue
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO events (organization_id, slug, name, description, venue, address,
				time_zone, starts_at, ends_at, currency, status, hold_minutes, contact_email)
				SELECT organization_id, ?, ?, description, venue, address, time_zone, starts_at, ends_at, currency, 'draft',
				hold_minutes, contact_email FROM events WHERE organization_id = ? AND id = ?`, slug, name, orgID, id)
			if isDuplicate(err) {
				continue // created by another request since the slugs were read
			} else if err != nil {
				return err
			}
			newID, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_types (organization_id, event_id, name, description, price,
				quantity, sales_start, sales_end, min_per_order, max_per_order, position, hidden)
				SELECT organization_id, ?, name, description, price, quantity, sales_start, sales_end, min_per_order,
				max_per_order, position, hidden FROM ticket_types WHERE organization_id = ? AND event_id = ? ORDER BY position, id`,
				newID, orgID, id); err != nil {
				return err
			}
			if err := createEventBuckets(ctx, tx, orgID, newID); err != nil {
				return err
			}
			if err := createDefaultCheckInList(ctx, tx, orgID, newID); err != nil {
				return err
			}
			e, err = findEventInTx(ctx, tx, orgID, newID)
			return err
		}
		return admit.Errorf(admit.ECONFLICT, "This event has too many copies; rename one first.")
	})
	return e, err
}

// copySlug returns the slug of the n-th copy of base, within the 64
// characters a slug may have.
func copySlug(base string, n int) string {
	suffix := "-copy"
	if n > 1 {
		suffix += "-" + strconv.Itoa(n)
	}
	if len(base) > 64-len(suffix) {
		base = strings.TrimRight(base[:64-len(suffix)], "-")
	}
	return base + suffix
}

// truncateBytes shortens s to at most n bytes without splitting a
// character.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SetWaitingRoom turns the event's waiting room on or off, with the time
// it opens and the admission rate per minute (changeable live).
func (d *DB) SetWaitingRoom(ctx context.Context, orgID, eventID int64, on bool, opensAt time.Time, ratePerMinute int) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.SetWaitingRoom(%d, %d)", orgID, eventID)
	res, err := d.db.ExecContext(ctx, `UPDATE events SET waiting_room = ?, waiting_room_opens_at = ?, waiting_room_rate = ?
		WHERE organization_id = ? AND id = ?`, on, nullTime(opensAt), ratePerMinute, orgID, eventID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := d.FindEvent(ctx, orgID, eventID); err != nil {
			return err
		}
	}
	return nil
}

// ListEventSales returns, for each event of the organization with ticket
// types, its tickets sold and its capacity, in one query.
func (d *DB) ListEventSales(ctx context.Context, orgID int64) (sales map[int64]admit.EventSales, err error) {
	defer wrap(&err, "DB.ListEventSales(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT event_id, SUM(sold), SUM(quantity) FROM ticket_type_buckets
		WHERE organization_id = ? GROUP BY event_id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sales = map[int64]admit.EventSales{}
	for rows.Next() {
		var id int64
		var s admit.EventSales
		if err := rows.Scan(&id, &s.Sold, &s.Capacity); err != nil {
			return nil, err
		}
		sales[id] = s
	}
	return sales, rows.Err()
}
