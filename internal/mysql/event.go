package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/admithq/admit/internal/admit"
)

const eventColumns = `id, organization_id, slug, name, description, venue, address, time_zone,
	starts_at, ends_at, currency, status, hold_minutes, contact_email, created_at, updated_at`

func scanEvent(row interface{ Scan(...any) error }) (*admit.Event, error) {
	e := &admit.Event{}
	var ends sql.NullTime
	var status string
	err := row.Scan(&e.ID, &e.OrganizationID, &e.Slug, &e.Name, &e.Description, &e.Venue, &e.Address, &e.TimeZone,
		&e.StartsAt, &ends, &e.Currency, &status, &e.HoldMinutes, &e.ContactEmail, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return nil, err
	}
	e.EndsAt = ends.Time
	e.Status = admit.EventStatus(status)
	return e, nil
}

// CreateEvent validates e, inserts it and sets its ID.
func (d *DB) CreateEvent(ctx context.Context, e *admit.Event) (err error) {
	defer wrap(&err, "DB.CreateEvent(%d, %q)", e.OrganizationID, e.Slug)
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Status == "" {
		e.Status = admit.EventDraft
	}
	res, err := d.db.ExecContext(ctx, `INSERT INTO events (organization_id, slug, name, description, venue, address,
		time_zone, starts_at, ends_at, currency, status, hold_minutes, contact_email)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.OrganizationID, e.Slug, e.Name, e.Description, e.Venue, e.Address, e.TimeZone, e.StartsAt.UTC(),
		nullTime(e.EndsAt), e.Currency, string(e.Status), e.HoldMinutes, e.ContactEmail)
	if isDuplicate(err) {
		return admit.FieldError("slug", "Another event of this organization uses this address.")
	} else if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
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

// EventSummary is the dashboard's figures for one event.
type EventSummary struct {
	Orders      int
	PaidOrders  int
	OrdersToday int
	Revenue     int64 // paid orders, minor units
	TicketsSold int
}

// SummarizeEvent returns the event's order figures.
func (d *DB) SummarizeEvent(ctx context.Context, orgID, eventID int64) (s EventSummary, err error) {
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

// DaySales is the number of tickets sold on one day (UTC).
type DaySales struct {
	Day     time.Time
	Tickets int
}

// SalesByDay returns tickets of paid orders per day for the last days days,
// oldest first, with zero days included.
func (d *DB) SalesByDay(ctx context.Context, orgID, eventID int64, days int) (out []DaySales, err error) {
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
		out = append(out, DaySales{Day: day, Tickets: byDay[day.Format("2006-01-02")]})
	}
	return out, rows.Err()
}
