package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/admithq/admit/internal/admit"
)

// SignUp creates an organization with the user as its owner, in one
// transaction: a taken slug or email leaves nothing behind.
func (d *DB) SignUp(ctx context.Context, o *admit.Organization, u *admit.User) (err error) {
	defer wrap(&err, "DB.SignUp(%q)", o.Slug)
	return d.inTx(ctx, func(tx *sql.Tx) error { return signUp(ctx, tx, o, u) })
}

// signUp creates the organization, its owner and the audit entry in tx.
func signUp(ctx context.Context, tx *sql.Tx, o *admit.Organization, u *admit.User) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO organizations (slug, name) VALUES (?, ?)`, o.Slug, o.Name)
	if isDuplicate(err) {
		return admit.FieldError("org_slug", "This address is taken; choose another.")
	} else if err != nil {
		return err
	}
	if o.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	res, err = tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?)`, u.Email, u.Name, u.PasswordHash)
	if isDuplicate(err) {
		return admit.FieldError("email", "An account with this email exists. Log in instead.")
	} else if err != nil {
		return err
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (organization_id, user_id, role) VALUES (?, ?, 'owner')`, o.ID, u.ID); err != nil {
		return err
	}
	return insertAudit(ctx, tx, o.ID, u.ID, "organization.created", o.Slug, "")
}

// FindUser returns the user with id, or ENOTFOUND.
func (d *DB) FindUser(ctx context.Context, id int64) (u *admit.User, err error) {
	defer wrap(&err, "DB.FindUser(%d)", id)
	u = &admit.User{}
	err = d.db.QueryRowContext(ctx, `SELECT id, email, name, password_hash, created_at FROM users WHERE id = ?`, id).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "User not found.")
	}
	return u, err
}

// FindMembership returns the organization with slug and the user's role in
// it; an organization the user is not a member of is ENOTFOUND, exactly like
// one that does not exist.
func (d *DB) FindMembership(ctx context.Context, orgSlug string, userID int64) (m *admit.OrganizationRole, err error) {
	defer wrap(&err, "DB.FindMembership(%q, %d)", orgSlug, userID)
	m = &admit.OrganizationRole{}
	var role string
	err = d.db.QueryRowContext(ctx, `SELECT o.id, o.slug, o.name, o.created_at, m.role FROM organizations o
		JOIN memberships m ON m.organization_id = o.id WHERE o.slug = ? AND m.user_id = ?`, orgSlug, userID).
		Scan(&m.Organization.ID, &m.Organization.Slug, &m.Organization.Name, &m.Organization.CreatedAt, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Not found.")
	}
	m.Role = admit.Role(role)
	return m, err
}

// ListMemberships returns the organizations of the user.
func (d *DB) ListMemberships(ctx context.Context, userID int64) (list []admit.OrganizationRole, err error) {
	defer wrap(&err, "DB.ListMemberships(%d)", userID)
	rows, err := d.db.QueryContext(ctx, `SELECT o.id, o.slug, o.name, o.created_at, m.role FROM organizations o
		JOIN memberships m ON m.organization_id = o.id WHERE m.user_id = ? ORDER BY o.name`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m admit.OrganizationRole
		var role string
		if err := rows.Scan(&m.Organization.ID, &m.Organization.Slug, &m.Organization.Name, &m.Organization.CreatedAt, &role); err != nil {
			return nil, err
		}
		m.Role = admit.Role(role)
		list = append(list, m)
	}
	return list, rows.Err()
}

// AddAudit records that the user did action on object in the organization.
func (d *DB) AddAudit(ctx context.Context, orgID, userID int64, action, object, detail string) (err error) {
	defer wrap(&err, "DB.AddAudit(%d, %q)", orgID, action)
	_, err = d.db.ExecContext(ctx, `INSERT INTO audit_log (organization_id, user_id, action, object, detail) VALUES (?, NULLIF(?, 0), ?, ?, ?)`,
		orgID, userID, action, object, truncate(detail, 1000))
	return err
}

func insertAudit(ctx context.Context, tx *sql.Tx, orgID, userID int64, action, object, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (organization_id, user_id, action, object, detail) VALUES (?, NULLIF(?, 0), ?, ?, ?)`,
		orgID, userID, action, object, truncate(detail, 1000))
	return err
}

// ListAudit returns the organization's latest audit entries, newest first.
func (d *DB) ListAudit(ctx context.Context, orgID int64, limit int) (entries []admit.AuditEntry, err error) {
	defer wrap(&err, "DB.ListAudit(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT a.id, COALESCE(u.email, ''), a.action, a.object, a.detail, a.created_at
		FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE a.organization_id = ? ORDER BY a.id DESC LIMIT ?`, orgID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e admit.AuditEntry
		var at sql.NullTime
		if err := rows.Scan(&e.ID, &e.UserEmail, &e.Action, &e.Object, &e.Detail, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = at.Time
		entries = append(entries, e)
	}
	return entries, rows.Err()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
