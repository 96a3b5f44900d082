package mysql

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// memberToken is a token in force that a member made, as the changes to
// that member see it.
type memberToken struct {
	id, orgID    int64
	name, prefix string
	scopes       []string
}

// lockMemberTokens returns the tokens in force that userID made for orgID
// (for every organization when orgID is 0), locked until tx ends.
func lockMemberTokens(ctx context.Context, tx *sql.Tx, orgID, userID int64) ([]memberToken, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, organization_id, name, prefix, scopes FROM api_tokens
		WHERE created_by = ? AND revoked_at IS NULL AND (? = 0 OR organization_id = ?) ORDER BY id FOR UPDATE`, userID, orgID, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []memberToken
	for rows.Next() {
		var t memberToken
		var scopes string
		if err := rows.Scan(&t.id, &t.orgID, &t.name, &t.prefix, &scopes); err != nil {
			return nil, err
		}
		if scopes != "" {
			t.scopes = strings.Split(scopes, ",")
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

// limitMemberTokens makes the tokens that userID (whose address is email)
// made for orgID (every organization when 0) fit allowed, in tx: a token
// keeps the scopes in allowed and loses the rest, and one left with none is
// revoked. Each change goes to the token's organization's audit log,
// naming the member and why. A member's tokens act with the member's
// authority, so they must never outlast it.
func limitMemberTokens(ctx context.Context, tx *sql.Tx, orgID, userID int64, email string, allowed []string, byUser int64, why string) error {
	tokens, err := lockMemberTokens(ctx, tx, orgID, userID)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		var keep []string
		for _, s := range t.scopes {
			if slices.Contains(allowed, s) {
				keep = append(keep, s)
			}
		}
		if len(keep) == len(t.scopes) {
			continue
		}
		if len(keep) == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = NOW(6), revoked_by = NULLIF(?, 0) WHERE id = ?`, byUser, t.id); err != nil {
				return err
			}
			if err := insertAudit(ctx, tx, t.orgID, byUser, "api_token.revoked", truncate(t.name, 128),
				t.prefix+"… of "+email+": "+why); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET scopes = ? WHERE id = ?`, strings.Join(keep, ","), t.id); err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, t.orgID, byUser, "api_token.narrowed", truncate(t.name, 128),
			t.prefix+"… of "+email+": "+strings.Join(t.scopes, ", ")+" → "+strings.Join(keep, ", ")+" ("+why+")"); err != nil {
			return err
		}
	}
	return nil
}
