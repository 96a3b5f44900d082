package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/admithq/admit/internal/admit"
)

// CreateOrganization inserts o and sets its ID; a taken slug is EINVALID on
// the slug field.
func (d *DB) CreateOrganization(ctx context.Context, o *admit.Organization) (err error) {
	defer wrap(&err, "DB.CreateOrganization(%q)", o.Slug)
	res, err := d.db.ExecContext(ctx, `INSERT INTO organizations (slug, name) VALUES (?, ?)`, o.Slug, o.Name)
	if isDuplicate(err) {
		return admit.FieldError("slug", "This address is taken.")
	} else if err != nil {
		return err
	}
	o.ID, err = res.LastInsertId()
	return err
}

// FindOrganizationBySlug returns the organization with slug, or ENOTFOUND.
func (d *DB) FindOrganizationBySlug(ctx context.Context, slug string) (o *admit.Organization, err error) {
	defer wrap(&err, "DB.FindOrganizationBySlug(%q)", slug)
	o = &admit.Organization{}
	err = d.db.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM organizations WHERE slug = ?`, slug).
		Scan(&o.ID, &o.Slug, &o.Name, &o.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Organization not found.")
	}
	return o, err
}

// FindOrganization returns the organization with id, or ENOTFOUND.
func (d *DB) FindOrganization(ctx context.Context, id int64) (o *admit.Organization, err error) {
	defer wrap(&err, "DB.FindOrganization(%d)", id)
	o = &admit.Organization{}
	err = d.db.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM organizations WHERE id = ?`, id).
		Scan(&o.ID, &o.Slug, &o.Name, &o.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Organization not found.")
	}
	return o, err
}
