package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/admithq/admit/internal/admit"
)

// apiTokenLength is the length of a token: the prefix and 32 random bytes
// in unpadded base32.
const apiTokenLength = len(admit.APITokenPrefix) + (32*8+4)/5

// apiTokenTouchEverySeconds is how stale last_used_at may get: refreshing
// it on every request would turn each read into a write.
const apiTokenTouchEverySeconds = 30

// CreateAPIToken validates t, stores it for its organization with its
// creator and an audit entry, in one transaction, and returns the secret.
// The secret is returned only here: the table keeps its SHA-256.
func (d *DB) CreateAPIToken(ctx context.Context, t *admit.APIToken, byUser int64) (secret string, err error) {
	defer wrap(&err, "DB.CreateAPIToken(%d)", t.OrganizationID)
	if err := t.Validate(); err != nil {
		return "", err
	}
	secret = admit.APITokenPrefix + admit.NewToken(32)
	t.Prefix = secret[:len(admit.APITokenPrefix)+6]
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (organization_id, name, token_hash, prefix, scopes, created_by)
			VALUES (?, ?, ?, ?, ?, NULLIF(?, 0))`, t.OrganizationID, t.Name, hashToken(secret), t.Prefix, strings.Join(t.Scopes, ","), byUser)
		if err != nil {
			return err
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT created_at FROM api_tokens WHERE id = ?`, t.ID).Scan(&t.CreatedAt); err != nil {
			return err
		}
		return insertAudit(ctx, tx, t.OrganizationID, byUser, "api_token.created", truncate(t.Name, 128), "scopes: "+strings.Join(t.Scopes, ", "))
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

const apiTokenColumns = `t.id, t.organization_id, t.name, t.prefix, t.scopes, t.created_at, t.last_used_at, t.revoked_at`

func scanAPIToken(row interface{ Scan(...any) error }, extra ...any) (*admit.APIToken, error) {
	t := &admit.APIToken{}
	var scopes string
	var used, revoked sql.NullTime
	dest := append([]any{&t.ID, &t.OrganizationID, &t.Name, &t.Prefix, &scopes, &t.CreatedAt, &used, &revoked}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if scopes != "" {
		t.Scopes = strings.Split(scopes, ",")
	}
	t.LastUsedAt, t.RevokedAt = used.Time, revoked.Time
	return t, nil
}

// ListAPITokens returns the organization's tokens, revoked ones included,
// newest first.
func (d *DB) ListAPITokens(ctx context.Context, orgID int64) (list []*admit.APIToken, err error) {
	defer wrap(&err, "DB.ListAPITokens(%d)", orgID)
	rows, err := d.db.QueryContext(ctx, `SELECT `+apiTokenColumns+`, COALESCE(u.email, '')
		FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by WHERE t.organization_id = ? ORDER BY t.id DESC`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var by string
		t, err := scanAPIToken(rows, &by)
		if err != nil {
			return nil, err
		}
		t.CreatedBy = by
		list = append(list, t)
	}
	return list, rows.Err()
}

// RevokeAPIToken stops the organization's token id from working, from the
// next request on, and records who did it. Revoking a revoked token changes
// nothing and reports changed false.
func (d *DB) RevokeAPIToken(ctx context.Context, orgID, id, byUser int64) (t *admit.APIToken, changed bool, err error) {
	defer wrap(&err, "DB.RevokeAPIToken(%d, %d)", orgID, id)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = NOW(6), revoked_by = NULLIF(?, 0)
			WHERE id = ? AND organization_id = ? AND revoked_at IS NULL`, byUser, id, orgID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		changed = n == 1
		t, err = scanAPIToken(tx.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens t WHERE t.id = ? AND t.organization_id = ?`, id, orgID))
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "API token not found.")
		} else if err != nil {
			return err
		}
		if !changed {
			return nil
		}
		return insertAudit(ctx, tx, orgID, byUser, "api_token.revoked", truncate(t.Name, 128), t.Prefix+"…")
	})
	if err != nil {
		return nil, false, err
	}
	return t, changed, nil
}

var errBadToken = admit.Errorf(admit.EUNAUTHORIZED, "The API token is not valid. Create one in the console and send it as \"Authorization: Bearer adm_…\".")

// AuthenticateAPIToken returns the token whose secret is secret, with its
// organization, if it is in force; anything else is EUNAUTHORIZED. It is
// called on every request, so a revoked token stops working at once. The
// token's last use is recorded, at most every half minute.
func (d *DB) AuthenticateAPIToken(ctx context.Context, secret string) (t *admit.APIToken, err error) {
	defer wrap(&err, "DB.AuthenticateAPIToken")
	if len(secret) != apiTokenLength || !strings.HasPrefix(secret, admit.APITokenPrefix) {
		return nil, errBadToken
	}
	var touch bool
	var org admit.Organization
	t, err = scanAPIToken(d.db.QueryRowContext(ctx, `SELECT `+apiTokenColumns+`, o.slug, o.name, o.created_at,
			t.last_used_at IS NULL OR t.last_used_at < NOW(6) - INTERVAL ? SECOND
		FROM api_tokens t JOIN organizations o ON o.id = t.organization_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL`, apiTokenTouchEverySeconds, hashToken(secret)),
		&org.Slug, &org.Name, &org.CreatedAt, &touch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	} else if err != nil {
		return nil, err
	}
	org.ID = t.OrganizationID
	t.Organization = org
	if touch {
		if _, err := d.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = NOW(6) WHERE id = ?`, t.ID); err != nil {
			return nil, err
		}
	}
	return t, nil
}
