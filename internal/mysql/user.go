package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/admithq/admit/internal/admit"
)

// CreateUser inserts u and sets its ID; a taken email is EINVALID on the email
// field.
func (d *DB) CreateUser(ctx context.Context, u *admit.User) (err error) {
	defer wrap(&err, "DB.CreateUser")
	res, err := d.db.ExecContext(ctx, `INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?)`, u.Email, u.Name, u.PasswordHash)
	if isDuplicate(err) {
		return admit.FieldError("email", "An account with this email exists.")
	} else if err != nil {
		return err
	}
	u.ID, err = res.LastInsertId()
	return err
}

// FindUserByEmail returns the user with email, or ENOTFOUND.
func (d *DB) FindUserByEmail(ctx context.Context, email string) (u *admit.User, err error) {
	defer wrap(&err, "DB.FindUserByEmail")
	u = &admit.User{}
	err = d.db.QueryRowContext(ctx, `SELECT id, email, name, password_hash, created_at FROM users WHERE email = ?`, email).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "User not found.")
	}
	return u, err
}

// SetUserPassword replaces the password hash of the user.
func (d *DB) SetUserPassword(ctx context.Context, userID int64, hash string) (err error) {
	defer wrap(&err, "DB.SetUserPassword(%d)", userID)
	_, err = d.db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	return err
}

// AddMembership gives the user role in the organization, replacing any
// earlier role.
func (d *DB) AddMembership(ctx context.Context, m admit.Membership) (err error) {
	defer wrap(&err, "DB.AddMembership(%d, %d)", m.OrganizationID, m.UserID)
	_, err = d.db.ExecContext(ctx, `INSERT INTO memberships (organization_id, user_id, role) VALUES (?, ?, ?)
		ON DUPLICATE KEY UPDATE role = VALUES(role)`, m.OrganizationID, m.UserID, string(m.Role))
	return err
}

// RemoveMembership takes the user out of the organization; their next
// request there is refused and the API tokens they made there stop, as with
// RemoveMember, without its last-owner check.
func (d *DB) RemoveMembership(ctx context.Context, orgID, userID int64) (err error) {
	defer wrap(&err, "DB.RemoveMembership(%d, %d)", orgID, userID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE organization_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return err
		}
		var email string
		if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ?`, userID).Scan(&email); err != nil {
			return err
		}
		return limitMemberTokens(ctx, tx, orgID, userID, email, nil, 0, "member removed")
	})
}
