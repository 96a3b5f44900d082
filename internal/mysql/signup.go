package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// RequestSignup stores s with the owner's password hash and the link's
// token, valid for SignupLifetime by MySQL's clock, and queues the email
// carrying path, in one transaction. If s.Email already has an account,
// nothing is stored and the email queued instead tells the account's owner
// so; the caller answers both cases alike, so the form does not reveal who
// has an account. A taken organization address is EINVALID on org_slug
// (event pages show it anyway).
func (d *DB) RequestSignup(ctx context.Context, s *admit.Signup, passwordHash, token, path string) (err error) {
	defer wrap(&err, "DB.RequestSignup(%q)", s.OrgSlug)
	return d.inTx(ctx, func(tx *sql.Tx) error {
		// Sign-ups whose link ended a day ago hold a password hash nobody
		// needs; each new one clears a few, so they never pile up.
		if _, err := tx.ExecContext(ctx, `DELETE FROM signups WHERE expires_at < NOW(6) - INTERVAL 1 DAY LIMIT 100`); err != nil {
			return err
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM organizations WHERE slug = ?`, s.OrgSlug).Scan(&taken); err != nil {
			return err
		} else if taken > 0 {
			return admit.FieldError("org_slug", "This address is taken; choose another.")
		}
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE email = ?`, s.Email).Scan(&name)
		if err == nil {
			return insertAccountOutbox(ctx, tx, admit.SignupEmail{Kind: admit.KindSignupExists, Email: s.Email, Name: name})
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signups (token_hash, email, name, org_name, org_slug, password_hash, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, NOW(6) + INTERVAL ? SECOND)`, hashToken(token), s.Email, s.Name, s.OrgName, s.OrgSlug, passwordHash,
			int(admit.SignupLifetime/time.Second)); err != nil {
			return err
		}
		return insertAccountOutbox(ctx, tx, admit.SignupEmail{Kind: admit.KindSignupConfirm, Email: s.Email, Name: s.Name, Path: path})
	})
}

// FindSignup returns the sign-up with token if its link still works: an
// unknown token is ENOTFOUND, a used or expired one EEXPIRED.
func (d *DB) FindSignup(ctx context.Context, token string) (s *admit.Signup, err error) {
	defer wrap(&err, "DB.FindSignup")
	s, _, _, err = findSignup(ctx, d.db, token, false)
	return s, err
}

func findSignup(ctx context.Context, q queryRower, token string, forUpdate bool) (s *admit.Signup, id int64, passwordHash string, err error) {
	s = &admit.Signup{}
	var used, expired bool
	query := `SELECT id, email, name, org_name, org_slug, password_hash, expires_at, used_at IS NOT NULL, expires_at <= NOW(6)
		FROM signups WHERE token_hash = ?`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	err = q.QueryRowContext(ctx, query, hashToken(token)).
		Scan(&id, &s.Email, &s.Name, &s.OrgName, &s.OrgSlug, &passwordHash, &s.ExpiresAt, &used, &expired)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, 0, "", admit.Errorf(admit.ENOTFOUND, "This sign-up link is not valid. Check that you copied all of it, or sign up again.")
	case err != nil:
		return nil, 0, "", err
	case used:
		return nil, 0, "", admit.Errorf(admit.EEXPIRED, "This sign-up link was already used. Log in to reach your organization.")
	case expired:
		return nil, 0, "", admit.Errorf(admit.EEXPIRED, "This sign-up link has expired. Sign up again.")
	}
	return s, id, passwordHash, nil
}

// ConfirmSignup uses the sign-up link with token, once, to create the
// organization with its owner, in one transaction. If the address or the
// email was taken since the link was sent, the link stays unused and the
// error is EINVALID on org_slug or email.
func (d *DB) ConfirmSignup(ctx context.Context, token string) (o *admit.Organization, u *admit.User, err error) {
	defer wrap(&err, "DB.ConfirmSignup")
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		s, id, hash, err := findSignup(ctx, tx, token, true)
		if err != nil {
			return err
		}
		o = &admit.Organization{Slug: s.OrgSlug, Name: s.OrgName}
		u = &admit.User{Email: s.Email, Name: s.Name, PasswordHash: hash}
		if err := signUp(ctx, tx, o, u); err != nil {
			var de *admit.Error
			if errors.As(err, &de) && de.Field == "email" {
				return admit.FieldError("email", "An account with this email was created meanwhile. Log in instead.")
			}
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE signups SET used_at = NOW(6) WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return o, u, nil
}
