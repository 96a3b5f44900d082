package mysql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/admithq/admit/internal/admit"
)

// CreateDiscountCode validates d and stores it for its event; its ticket
// types must belong to the same event.
func (d *DB) CreateDiscountCode(ctx context.Context, dc *admit.DiscountCode) (err error) {
	defer wrap(&err, "DB.CreateDiscountCode(%d, %d)", dc.OrganizationID, dc.EventID)
	if err := dc.Validate(); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var maxUses sql.NullInt64
		if dc.MaxUses > 0 {
			maxUses = sql.NullInt64{Int64: int64(dc.MaxUses), Valid: true}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO discount_codes (organization_id, event_id, code, kind, value, max_uses, valid_from, valid_until)
			SELECT organization_id, id, ?, ?, ?, ?, ?, ? FROM events WHERE organization_id = ? AND id = ?`,
			dc.Code, dc.Kind, dc.Value, maxUses, nullTime(dc.ValidFrom), nullTime(dc.ValidUntil), dc.OrganizationID, dc.EventID)
		if isDuplicate(err) {
			return admit.FieldError("code", "This event already has this code.")
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return admit.Errorf(admit.ENOTFOUND, "Event not found.")
		}
		if dc.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, id := range dc.TicketTypeIDs {
			res, err := tx.ExecContext(ctx, `INSERT INTO discount_code_ticket_types (discount_code_id, ticket_type_id)
				SELECT ?, id FROM ticket_types WHERE id = ? AND event_id = ? AND organization_id = ?`, dc.ID, id, dc.EventID, dc.OrganizationID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return admit.FieldError("ticket_types", "Choose ticket types of this event.")
			}
		}
		return nil
	})
}

const discountColumns = `id, organization_id, event_id, code, kind, value, COALESCE(max_uses, 0), used, valid_from, valid_until`

func scanDiscount(row interface{ Scan(...any) error }) (*admit.DiscountCode, error) {
	dc := &admit.DiscountCode{}
	var from, until sql.NullTime
	if err := row.Scan(&dc.ID, &dc.OrganizationID, &dc.EventID, &dc.Code, &dc.Kind, &dc.Value, &dc.MaxUses, &dc.Used, &from, &until); err != nil {
		return nil, err
	}
	dc.ValidFrom, dc.ValidUntil = from.Time, until.Time
	return dc, nil
}

func discountTypes(ctx context.Context, q queryer, dc *admit.DiscountCode) error {
	rows, err := q.QueryContext(ctx, `SELECT ticket_type_id FROM discount_code_ticket_types WHERE discount_code_id = ? ORDER BY ticket_type_id`, dc.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		dc.TicketTypeIDs = append(dc.TicketTypeIDs, id)
	}
	return rows.Err()
}

// FindDiscountCode returns the event's code (compared case-insensitively),
// or an EINVALID error on the discount_code field: to a buyer, an unknown
// code is a typo.
func (d *DB) FindDiscountCode(ctx context.Context, orgID, eventID int64, code string) (dc *admit.DiscountCode, err error) {
	defer wrap(&err, "DB.FindDiscountCode(%d, %d)", orgID, eventID)
	dc, err = scanDiscount(d.db.QueryRowContext(ctx, `SELECT `+discountColumns+` FROM discount_codes
		WHERE organization_id = ? AND event_id = ? AND code = ?`, orgID, eventID, admit.NormalizeCode(code)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.FieldError("discount_code", "This code is not valid for this event.")
	} else if err != nil {
		return nil, err
	}
	return dc, discountTypes(ctx, d.db, dc)
}

func findDiscountByID(ctx context.Context, q queryer, orgID, id int64) (*admit.DiscountCode, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+discountColumns+` FROM discount_codes WHERE organization_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, err
	}
	var dc *admit.DiscountCode
	for rows.Next() {
		if dc, err = scanDiscount(rows); err != nil {
			rows.Close()
			return nil, err
		}
	}
	rows.Close()
	if dc == nil {
		return nil, admit.Errorf(admit.ENOTFOUND, "Discount code not found.")
	}
	return dc, discountTypes(ctx, q, dc)
}

// ListDiscountCodes returns the event's codes with their use counts.
func (d *DB) ListDiscountCodes(ctx context.Context, orgID, eventID int64) (list []*admit.DiscountCode, err error) {
	defer wrap(&err, "DB.ListDiscountCodes(%d, %d)", orgID, eventID)
	rows, err := d.db.QueryContext(ctx, `SELECT `+discountColumns+` FROM discount_codes WHERE organization_id = ? AND event_id = ? ORDER BY code`, orgID, eventID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		dc, err := scanDiscount(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, dc)
	}
	rows.Close()
	for _, dc := range list {
		if err := discountTypes(ctx, d.db, dc); err != nil {
			return nil, err
		}
	}
	return list, rows.Err()
}

// DeleteDiscountCode removes an unused code of the organization; a used one
// is ECONFLICT (orders refer to it), and can be limited to its uses instead.
func (d *DB) DeleteDiscountCode(ctx context.Context, orgID, id int64) (err error) {
	defer wrap(&err, "DB.DeleteDiscountCode(%d, %d)", orgID, id)
	res, err := d.db.ExecContext(ctx, `DELETE FROM discount_codes WHERE organization_id = ? AND id = ? AND used = 0`, orgID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := findDiscountByID(ctx, d.db, orgID, id); err != nil {
			return err
		}
		return admit.Errorf(admit.ECONFLICT, "This code has been used and cannot be deleted.")
	}
	return nil
}

// takeDiscountUse counts one use of the code in tx, if any remain and it is
// still valid by MySQL's clock.
func takeDiscountUse(ctx context.Context, tx dbtx, id int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE discount_codes SET used = used + 1 WHERE id = ?
		AND (max_uses IS NULL OR used < max_uses) AND (valid_until IS NULL OR valid_until > NOW(6))`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return admit.FieldError("discount_code", "This discount code has been used up or has expired. Start again without it.")
	}
	return nil
}

// FindDiscountCodeByID returns the organization's code with id, or
// ENOTFOUND.
func (d *DB) FindDiscountCodeByID(ctx context.Context, orgID, id int64) (dc *admit.DiscountCode, err error) {
	defer wrap(&err, "DB.FindDiscountCodeByID(%d, %d)", orgID, id)
	return findDiscountByID(ctx, d.db, orgID, id)
}
