package mysql

import (
	"context"
	"database/sql"
	"errors"

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
