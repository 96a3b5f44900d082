package mysql

import (
	"context"

	"github.com/admithq/admit/internal/admit"
)

// publicUpcoming is what the public lists show: published (or closed)
// events that have not ended; an event without an end is listed until a
// day after it starts.
const publicUpcoming = `e.status IN ('published', 'closed') AND COALESCE(e.ends_at, e.starts_at + INTERVAL 1 DAY) >= NOW()`

// ListPublicEvents returns the organization with slug and its public events
// that have not ended, soonest first, for the organization's public page.
// An unknown organization is ENOTFOUND; one without public events is not.
func (d *DB) ListPublicEvents(ctx context.Context, orgSlug string) (org *admit.Organization, events []*admit.Event, err error) {
	defer wrap(&err, "DB.ListPublicEvents(%q)", orgSlug)
	org, err = d.FindOrganizationBySlug(ctx, orgSlug)
	if err != nil {
		return nil, nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+prefixed("e", eventColumns)+` FROM events e
		WHERE e.organization_id = ? AND `+publicUpcoming+` ORDER BY e.starts_at, e.id LIMIT 200`, org.ID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, e)
	}
	return org, events, rows.Err()
}

// ListUpcomingPublicEvents returns up to limit public events of every
// organization that have not ended, soonest first, for the start page.
// What it reads is public by definition: every row is on a public page.
func (d *DB) ListUpcomingPublicEvents(ctx context.Context, limit int) (out []admit.PublicEvent, err error) {
	defer wrap(&err, "DB.ListUpcomingPublicEvents")
	rows, err := d.db.QueryContext(ctx, `SELECT `+prefixed("e", eventColumns)+`, o.id, o.slug, o.name FROM events e
		JOIN organizations o ON o.id = e.organization_id
		WHERE `+publicUpcoming+` ORDER BY e.starts_at, e.id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		org := &admit.Organization{}
		e, err := scanEvent(scanWith(rows, &org.ID, &org.Slug, &org.Name))
		if err != nil {
			return nil, err
		}
		out = append(out, admit.PublicEvent{Event: e, Organization: org})
	}
	return out, rows.Err()
}

// scanWith is a row whose Scan fills extra after the columns its caller
// asks for: an entity's scanner and a few joined columns in one read.
func scanWith(row interface{ Scan(...any) error }, extra ...any) interface{ Scan(...any) error } {
	return scannerFunc(func(dest ...any) error { return row.Scan(append(dest, extra...)...) })
}

type scannerFunc func(dest ...any) error

func (f scannerFunc) Scan(dest ...any) error { return f(dest...) }

// SetEventPublicSettings stores what the organizer set for the event's
// public pages and offline payment, after ValidatePublicSettings.
func (d *DB) SetEventPublicSettings(ctx context.Context, orgID int64, e *admit.Event) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.SetEventPublicSettings(%d, %d)", orgID, e.ID)
	if err := e.ValidatePublicSettings(); err != nil {
		return err
	}
	p := e.Payment
	res, err := d.db.ExecContext(ctx, `UPDATE events SET banner_url = ?, terms_url = ?, payment_payee = ?, payment_iban = ?,
		payment_bic = ?, payment_text = ?, payment_due_days = ? WHERE organization_id = ? AND id = ?`,
		e.BannerURL, e.TermsURL, p.Payee, p.IBAN, p.BIC, p.Text, p.DueDays, orgID, e.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := d.FindEvent(ctx, orgID, e.ID); err != nil {
			return err
		}
	}
	return nil
}
