package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// hashToken is what the tables store instead of a token: a copy of the
// database does not hand out working links.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// insertAccountOutbox queues a side effect that belongs to a person rather
// than to an organization (a password reset email).
func insertAccountOutbox(ctx context.Context, tx *sql.Tx, p admit.OutboxPayload) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (organization_id, kind, payload) VALUES (NULL, ?, ?)`, p.OutboxKind(), b)
	return err
}

// auditEveryOrganization records action in the audit log of every
// organization the user belongs to: a change to an account concerns each
// team it is part of.
func auditEveryOrganization(ctx context.Context, tx *sql.Tx, userID int64, action, object string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (organization_id, user_id, action, object, detail)
		SELECT organization_id, user_id, ?, ?, '' FROM memberships WHERE user_id = ?`, action, truncate(object, 128), userID)
	return err
}

// RequestPasswordReset stores a reset link with token for the user with
// email, valid for an hour by MySQL's clock, and queues the email carrying
// path in the same transaction. An unknown email changes nothing and
// reports userID 0; the caller answers both cases alike.
func (d *DB) RequestPasswordReset(ctx context.Context, email, token, path string) (userID int64, err error) {
	defer wrap(&err, "DB.RequestPasswordReset")
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		userID = 0
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, email).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (user_id, token_hash, expires_at)
			VALUES (?, ?, NOW(6) + INTERVAL 1 HOUR)`, userID, hashToken(token)); err != nil {
			return err
		}
		return insertAccountOutbox(ctx, tx, admit.PasswordResetEmail{UserID: userID, Path: path})
	})
	return userID, err
}

// FindPasswordReset returns the reset link with token if it can still be
// used: an unknown token is ENOTFOUND, a used or expired one EEXPIRED.
func (d *DB) FindPasswordReset(ctx context.Context, token string) (r *admit.PasswordReset, err error) {
	defer wrap(&err, "DB.FindPasswordReset")
	return findPasswordReset(ctx, d.db, token)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func findPasswordReset(ctx context.Context, q queryRower, token string) (*admit.PasswordReset, error) {
	r := &admit.PasswordReset{}
	var used, expired bool
	err := q.QueryRowContext(ctx, `SELECT r.user_id, u.email, r.expires_at, r.used_at IS NOT NULL, r.expires_at <= NOW(6)
		FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?`, hashToken(token)).
		Scan(&r.UserID, &r.Email, &r.ExpiresAt, &used, &expired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, admit.Errorf(admit.ENOTFOUND, "This password reset link is not valid. Check that you copied all of it, or ask for a new one.")
	case err != nil:
		return nil, err
	case used:
		return nil, admit.Errorf(admit.EEXPIRED, "This password reset link was already used. Ask for a new one if you need it.")
	case expired:
		return nil, admit.Errorf(admit.EEXPIRED, "This password reset link has expired. Ask for a new one.")
	}
	return r, nil
}

// ResetPassword uses the reset link with token, once, to set the password
// hash of its user. In the same transaction it ends the user's other reset
// links, marks the change so that sessions started before changedAt are
// refused, revokes the API tokens the user made in every organization, and
// records it all in the audit log of each of their organizations.
func (d *DB) ResetPassword(ctx context.Context, token, hash string, changedAt time.Time) (userID int64, err error) {
	defer wrap(&err, "DB.ResetPassword")
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = NOW(6)
			WHERE token_hash = ? AND used_at IS NULL AND expires_at > NOW(6)`, hashToken(token))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			_, err := findPasswordReset(ctx, tx, token)
			if err == nil {
				err = admit.Errorf(admit.EEXPIRED, "This password reset link has expired. Ask for a new one.")
			}
			return err
		}
		var email string
		if err := tx.QueryRowContext(ctx, `SELECT u.id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id
			WHERE r.token_hash = ?`, hashToken(token)).Scan(&userID, &email); err != nil {
			return err
		}
		if err := setPassword(ctx, tx, userID, email, hash, changedAt, "user.password_reset"); err != nil {
			return err
		}
		// A reset is how an owner takes back an account someone else may
		// have used: tokens made with it might be theirs.
		return limitMemberTokens(ctx, tx, 0, userID, email, nil, userID, "password reset")
	})
	return userID, err
}

// ChangePassword sets the password hash of the signed-in user, ends their
// pending reset links and refuses their sessions started before changedAt,
// recording the change in the audit log of each of their organizations.
func (d *DB) ChangePassword(ctx context.Context, userID int64, hash string, changedAt time.Time) (err error) {
	defer wrap(&err, "DB.ChangePassword(%d)", userID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var email string
		err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ? FOR UPDATE`, userID).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "User not found.")
		} else if err != nil {
			return err
		}
		return setPassword(ctx, tx, userID, email, hash, changedAt, "user.password_changed")
	})
}

func setPassword(ctx context.Context, tx *sql.Tx, userID int64, email, hash string, changedAt time.Time, action string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`,
		hash, changedAt.UTC(), userID); err != nil {
		return err
	}
	// A link sent before the change must not undo it.
	if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = NOW(6) WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
		return err
	}
	return auditEveryOrganization(ctx, tx, userID, action, email)
}

// PasswordChangedAt returns when the user's password last changed, or the
// zero time if it never did (or the user does not exist).
func (d *DB) PasswordChangedAt(ctx context.Context, userID int64) (t time.Time, err error) {
	defer wrap(&err, "DB.PasswordChangedAt(%d)", userID)
	var at sql.NullTime
	err = d.db.QueryRowContext(ctx, `SELECT password_changed_at FROM users WHERE id = ?`, userID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return at.Time, err
}

// ListMembers returns the members of the organization, owners first.
func (d *DB) ListMembers(ctx context.Context, orgID int64) (members []admit.Member, err error) {
	defer wrap(&err, "DB.ListMembers(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT u.id, u.name, u.email, m.role, m.created_at
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = ? ORDER BY m.role, u.name, u.id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m admit.Member
		var role string
		if err := rows.Scan(&m.UserID, &m.Name, &m.Email, &role, &m.Since); err != nil {
			return nil, err
		}
		m.Role = admit.Role(role)
		members = append(members, m)
	}
	return members, rows.Err()
}

// ListInvitations returns the organization's pending invitations, newest
// first.
func (d *DB) ListInvitations(ctx context.Context, orgID int64) (list []*admit.Invitation, err error) {
	defer wrap(&err, "DB.ListInvitations(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT i.id, i.organization_id, i.email, i.role, COALESCE(i.invited_by, 0), COALESCE(u.email, ''),
		i.created_at, i.expires_at FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
		WHERE i.organization_id = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > NOW(6)
		ORDER BY i.id DESC`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		inv := &admit.Invitation{}
		var role string
		if err := rows.Scan(&inv.ID, &inv.OrganizationID, &inv.Email, &role, &inv.InvitedBy, &inv.InvitedByEmail,
			&inv.CreatedAt, &inv.ExpiresAt); err != nil {
			return nil, err
		}
		inv.Role = admit.Role(role)
		list = append(list, inv)
	}
	return list, rows.Err()
}

// CreateInvitation stores inv with token, valid for seven days by MySQL's
// clock, and queues the email carrying path and the audit entry in the same
// transaction. It replaces a pending invitation to the same address, so
// only the latest link works; inviting a member is EINVALID on the email
// field.
func (d *DB) CreateInvitation(ctx context.Context, inv *admit.Invitation, token, path string) (err error) {
	defer wrap(&err, "DB.CreateInvitation(%d)", inv.OrganizationID)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var member int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.organization_id = ? AND u.email = ?`, inv.OrganizationID, inv.Email).Scan(&member)
		if err != nil {
			return err
		} else if member > 0 {
			return admit.FieldError("email", "This person is already a member of the team.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = NOW(6)
			WHERE organization_id = ? AND email = ? AND accepted_at IS NULL AND revoked_at IS NULL`, inv.OrganizationID, inv.Email); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO invitations (organization_id, email, role, token_hash, invited_by, expires_at)
			VALUES (?, ?, ?, ?, NULLIF(?, 0), NOW(6) + INTERVAL 7 DAY)`, inv.OrganizationID, inv.Email, string(inv.Role), hashToken(token), inv.InvitedBy)
		if err != nil {
			return err
		}
		if inv.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT created_at, expires_at FROM invitations WHERE id = ?`, inv.ID).
			Scan(&inv.CreatedAt, &inv.ExpiresAt); err != nil {
			return err
		}
		if err := insertOutbox(ctx, tx, inv.OrganizationID, admit.InvitationEmailPayload{InvitationID: inv.ID, Path: path}); err != nil {
			return err
		}
		return insertAudit(ctx, tx, inv.OrganizationID, inv.InvitedBy, "invitation.created", inv.Email, "role "+string(inv.Role))
	})
}

// RevokeInvitation withdraws the organization's pending invitation id, so
// its link stops working. An invitation of another organization is
// ENOTFOUND; one already accepted or revoked is ECONFLICT.
func (d *DB) RevokeInvitation(ctx context.Context, orgID, id, byUserID int64) (inv *admit.Invitation, err error) {
	defer wrap(&err, "DB.RevokeInvitation(%d, %d)", orgID, id)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		inv = &admit.Invitation{}
		var role string
		err := tx.QueryRowContext(ctx, `SELECT id, organization_id, email, role FROM invitations WHERE id = ? AND organization_id = ?`, id, orgID).
			Scan(&inv.ID, &inv.OrganizationID, &inv.Email, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "Invitation not found.")
		} else if err != nil {
			return err
		}
		inv.Role = admit.Role(role)
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = NOW(6)
			WHERE id = ? AND organization_id = ? AND accepted_at IS NULL AND revoked_at IS NULL`, id, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return admit.Errorf(admit.ECONFLICT, "This invitation was already accepted or withdrawn.")
		}
		return insertAudit(ctx, tx, orgID, byUserID, "invitation.revoked", inv.Email, "")
	})
	return inv, err
}

// FindInvitation returns the invitation with token and its organization if
// it can still be accepted: an unknown token is ENOTFOUND; an accepted,
// withdrawn or expired one EEXPIRED.
func (d *DB) FindInvitation(ctx context.Context, token string) (inv *admit.Invitation, err error) {
	defer wrap(&err, "DB.FindInvitation")
	return findInvitationByToken(ctx, d.db, token)
}

func findInvitationByToken(ctx context.Context, q queryRower, token string) (*admit.Invitation, error) {
	inv := &admit.Invitation{}
	var role string
	var accepted, revoked, expired bool
	err := q.QueryRowContext(ctx, `SELECT i.id, i.organization_id, o.slug, o.name, i.email, i.role, COALESCE(i.invited_by, 0),
		i.created_at, i.expires_at, i.accepted_at IS NOT NULL, i.revoked_at IS NOT NULL, i.expires_at <= NOW(6)
		FROM invitations i JOIN organizations o ON o.id = i.organization_id WHERE i.token_hash = ?`, hashToken(token)).
		Scan(&inv.ID, &inv.OrganizationID, &inv.Organization.Slug, &inv.Organization.Name, &inv.Email, &role, &inv.InvitedBy,
			&inv.CreatedAt, &inv.ExpiresAt, &accepted, &revoked, &expired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, admit.Errorf(admit.ENOTFOUND, "This invitation link is not valid. Check that you copied all of it.")
	case err != nil:
		return nil, err
	case accepted:
		return nil, admit.Errorf(admit.EEXPIRED, "This invitation was already accepted. Log in to reach the organization.")
	case revoked:
		return nil, admit.Errorf(admit.EEXPIRED, "This invitation was withdrawn. Ask the organization for a new one.")
	case expired:
		return nil, admit.Errorf(admit.EEXPIRED, "This invitation has expired. Ask the organization for a new one.")
	}
	inv.Organization.ID = inv.OrganizationID
	inv.Role = admit.Role(role)
	return inv, nil
}

// AcceptInvitation uses the invitation with token, once, to make u a member
// with the invited role. A u without an ID is a new account for the
// invited address, created in the same transaction; an existing u must
// have the invited address (EFORBIDDEN otherwise). Someone who is already a
// member keeps their role (joined is false): an invitation never demotes.
func (d *DB) AcceptInvitation(ctx context.Context, token string, u *admit.User) (inv *admit.Invitation, joined bool, err error) {
	defer wrap(&err, "DB.AcceptInvitation")
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		joined = false
		var err error
		if inv, err = findInvitationByToken(ctx, tx, token); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = NOW(6)
			WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > NOW(6)`, inv.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return admit.Errorf(admit.EEXPIRED, "This invitation was already accepted or withdrawn.")
		}
		if u.ID == 0 {
			u.Email = inv.Email
			res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?)`, u.Email, u.Name, u.PasswordHash)
			if isDuplicate(err) {
				return admit.FieldError("email", "An account with this email exists. Log in to accept the invitation.")
			} else if err != nil {
				return err
			}
			if u.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		} else if !strings.EqualFold(u.Email, inv.Email) {
			return admit.Errorf(admit.EFORBIDDEN, "This invitation is for another email address.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_by = ? WHERE id = ?`, u.ID, inv.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO memberships (organization_id, user_id, role) VALUES (?, ?, ?)`, inv.OrganizationID, u.ID, string(inv.Role))
		if isDuplicate(err) {
			return insertAudit(ctx, tx, inv.OrganizationID, u.ID, "invitation.accepted", inv.Email, "already a member")
		} else if err != nil {
			return err
		}
		joined = true
		return insertAudit(ctx, tx, inv.OrganizationID, u.ID, "invitation.accepted", inv.Email, "role "+string(inv.Role))
	})
	return inv, joined, err
}

// errLastOwner refuses a change that would leave an organization without
// an owner.
var errLastOwner = admit.Errorf(admit.ECONFLICT, "An organization needs at least one owner. Make someone else an owner first.")

// lockMembers reads the roles of the organization's members with their
// rows locked until tx ends, so two changes to the owners of one
// organization run one after the other and the second sees the first.
func lockMembers(ctx context.Context, tx *sql.Tx, orgID int64) (map[int64]admit.Role, error) {
	rows, err := tx.QueryContext(ctx, `SELECT user_id, role FROM memberships WHERE organization_id = ? FOR UPDATE`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	roles := map[int64]admit.Role{}
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, err
		}
		roles[id] = admit.Role(role)
	}
	return roles, rows.Err()
}

func owners(roles map[int64]admit.Role) int {
	n := 0
	for _, r := range roles {
		if r == admit.RoleOwner {
			n++
		}
	}
	return n
}

func findMember(ctx context.Context, tx *sql.Tx, orgID, userID int64) (*admit.Member, error) {
	m := &admit.Member{}
	var role string
	err := tx.QueryRowContext(ctx, `SELECT u.id, u.name, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.organization_id = ? AND m.user_id = ?`, orgID, userID).Scan(&m.UserID, &m.Name, &m.Email, &role, &m.Since)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Member not found.")
	}
	m.Role = admit.Role(role)
	return m, err
}

// ChangeMemberRole gives the organization's member userID role and returns
// them with their former role. The API tokens the member made there keep
// only the scopes the new role allows (ScopesForRole), in the same
// transaction. A user who is not a member is ENOTFOUND; demoting the last
// owner is ECONFLICT, also when several changes race.
func (d *DB) ChangeMemberRole(ctx context.Context, orgID, userID int64, role admit.Role, byUserID int64) (m *admit.Member, err error) {
	defer wrap(&err, "DB.ChangeMemberRole(%d, %d)", orgID, userID)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		roles, err := lockMembers(ctx, tx, orgID)
		if err != nil {
			return err
		}
		current, ok := roles[userID]
		if !ok {
			return admit.Errorf(admit.ENOTFOUND, "Member not found.")
		}
		if m, err = findMember(ctx, tx, orgID, userID); err != nil {
			return err
		}
		if current == role {
			return nil
		}
		if current == admit.RoleOwner && owners(roles) <= 1 {
			return errLastOwner
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE organization_id = ? AND user_id = ?`,
			string(role), orgID, userID); err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, orgID, byUserID, "member.role_changed", m.Email, string(current)+" → "+string(role)); err != nil {
			return err
		}
		return limitMemberTokens(ctx, tx, orgID, userID, m.Email, admit.ScopesForRole(role), byUserID, "role lowered to "+string(role))
	})
	return m, err
}

// RemoveMember takes userID out of the organization; their next request
// there is refused, and the API tokens they made there are revoked in the
// same transaction. A user who is not a member is ENOTFOUND; removing the
// last owner is ECONFLICT, also when several removals race.
func (d *DB) RemoveMember(ctx context.Context, orgID, userID, byUserID int64) (m *admit.Member, err error) {
	defer wrap(&err, "DB.RemoveMember(%d, %d)", orgID, userID)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		roles, err := lockMembers(ctx, tx, orgID)
		if err != nil {
			return err
		}
		current, ok := roles[userID]
		if !ok {
			return admit.Errorf(admit.ENOTFOUND, "Member not found.")
		}
		if current == admit.RoleOwner && owners(roles) <= 1 {
			return errLastOwner
		}
		if m, err = findMember(ctx, tx, orgID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE organization_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, orgID, byUserID, "member.removed", m.Email, "was "+string(current)); err != nil {
			return err
		}
		return limitMemberTokens(ctx, tx, orgID, userID, m.Email, nil, byUserID, "member removed")
	})
	return m, err
}
