package mysql

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/admithq/admit/internal/admit"
)

const ticketTypeColumns = `id, organization_id, event_id, name, description, price, quantity, ` + bucketSums + `,
	sales_start, sales_end, min_per_order, max_per_order, position, hidden`

func scanTicketType(row interface{ Scan(...any) error }) (*admit.TicketType, error) {
	t := &admit.TicketType{}
	var start, end sql.NullTime
	err := row.Scan(&t.ID, &t.OrganizationID, &t.EventID, &t.Name, &t.Description, &t.Price, &t.Quantity,
		&t.Reserved, &t.Sold, &start, &end, &t.MinPerOrder, &t.MaxPerOrder, &t.Position, &t.Hidden)
	if err != nil {
		return nil, err
	}
	t.SalesStart, t.SalesEnd = start.Time, end.Time
	return t, nil
}

// CreateTicketType validates t, inserts it for its event and sets its ID.
func (d *DB) CreateTicketType(ctx context.Context, t *admit.TicketType) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.CreateTicketType(%d, %d)", t.OrganizationID, t.EventID)
	if err := t.Validate(); err != nil {
		return err
	}
	// The event must belong to the same organization: a ticket type is never
	// attached across tenants.
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO ticket_types (organization_id, event_id, name, description, price,
			quantity, sales_start, sales_end, min_per_order, max_per_order, position, hidden)
			SELECT organization_id, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM events WHERE organization_id = ? AND id = ?`,
			t.Name, t.Description, t.Price, t.Quantity, nullTime(t.SalesStart), nullTime(t.SalesEnd),
			t.MinPerOrder, t.MaxPerOrder, t.Position, t.Hidden, t.OrganizationID, t.EventID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return admit.Errorf(admit.ENOTFOUND, "Event not found.")
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := createBuckets(ctx, tx, t.OrganizationID, t.EventID, t.ID, t.Quantity); err != nil {
			return err
		}
		return addToAllTypeLists(ctx, tx, t.OrganizationID, t.EventID, t.ID)
	})
}

// ListTicketTypes returns the ticket types of the event in display order,
// hidden ones included only if withHidden.
func (d *DB) ListTicketTypes(ctx context.Context, orgID, eventID int64, withHidden bool) (types []*admit.TicketType, err error) {
	defer wrap(&err, "DB.ListTicketTypes(%d, %d)", orgID, eventID)
	rows, err := d.db.QueryContext(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types
		WHERE organization_id = ? AND event_id = ? AND (? OR NOT hidden) ORDER BY position, id`, orgID, eventID, withHidden)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTicketType(rows)
		if err != nil {
			return nil, err
		}
		types = append(types, t)
	}
	return types, rows.Err()
}

// FindTicketType returns the ticket type id of the event eventID of the
// organization, or ENOTFOUND.
func (d *DB) FindTicketType(ctx context.Context, orgID, eventID, id int64) (t *admit.TicketType, err error) {
	defer wrap(&err, "DB.FindTicketType(%d, %d, %d)", orgID, eventID, id)
	t, err = scanTicketType(d.db.QueryRowContext(ctx, `SELECT `+ticketTypeColumns+` FROM ticket_types
		WHERE organization_id = ? AND event_id = ? AND id = ?`, orgID, eventID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
	}
	return t, err
}

// UpdateTicketType validates t and stores its name, description, price,
// quantity, sale window and per-order limits. The quantity is guarded in the
// same transaction, with the ticket type's buckets locked: it can never drop
// below the tickets already sold or held, whatever holds are taken meanwhile. If it would, nothing changes and the
// error names the quantity field and how many are taken.
func (d *DB) UpdateTicketType(ctx context.Context, t *admit.TicketType) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.UpdateTicketType(%d, %d)", t.OrganizationID, t.ID)
	if err := t.ValidateDetails(); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		// The buckets first: locked, they keep holds from taking while the
		// quantity changes, and setQuantity refuses to go below what is
		// sold or held.
		if err := setQuantity(ctx, tx, t.OrganizationID, t.EventID, t.ID, t.Quantity); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE ticket_types SET name = ?, description = ?, price = ?, quantity = ?,
			sales_start = ?, sales_end = ?, min_per_order = ?, max_per_order = ?
			WHERE id = ? AND organization_id = ? AND event_id = ?`,
			t.Name, t.Description, t.Price, t.Quantity, nullTime(t.SalesStart), nullTime(t.SalesEnd), t.MinPerOrder, t.MaxPerOrder,
			t.ID, t.OrganizationID, t.EventID)
		return err
	})
}

// SetTicketTypeHidden hides the ticket type from buyers, or shows it again.
// Tickets already held or sold are not affected.
func (d *DB) SetTicketTypeHidden(ctx context.Context, orgID, eventID, id int64, hidden bool) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.SetTicketTypeHidden(%d, %d, %t)", orgID, id, hidden)
	res, err := d.db.ExecContext(ctx, `UPDATE ticket_types SET hidden = ? WHERE id = ? AND organization_id = ? AND event_id = ?`,
		hidden, id, orgID, eventID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	_, err = d.FindTicketType(ctx, orgID, eventID, id)
	return err
}

// MoveTicketType moves the ticket type by places in its event's display
// order (negative: up), stopping at either end, and renumbers the event's
// ticket types 0, 1, 2, … in one transaction. It reports whether the
// ticket type moved (it was not already first or last).
func (d *DB) MoveTicketType(ctx context.Context, orgID, eventID, id int64, by int) (moved bool, err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.MoveTicketType(%d, %d, %d)", orgID, id, by)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		// Locking the event's ticket types serializes two reorders; holds
		// wait on these rows for no longer than this transaction takes.
		rows, err := tx.QueryContext(ctx, `SELECT id, position FROM ticket_types WHERE organization_id = ? AND event_id = ?
			ORDER BY position, id FOR UPDATE`, orgID, eventID)
		if err != nil {
			return err
		}
		var ids []int64
		positions := map[int64]int{}
		for rows.Next() {
			var tid int64
			var pos int
			if err := rows.Scan(&tid, &pos); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, tid)
			positions[tid] = pos
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		from := slices.Index(ids, id)
		if from < 0 {
			return admit.Errorf(admit.ENOTFOUND, "Ticket type not found.")
		}
		to := min(max(from+by, 0), len(ids)-1)
		moved = to != from
		ids = slices.Insert(slices.Delete(ids, from, from+1), to, id)
		for pos, tid := range ids {
			if positions[tid] == pos {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE ticket_types SET position = ? WHERE id = ? AND organization_id = ?`,
				pos, tid, orgID); err != nil {
				return err
			}
		}
		return nil
	})
	return moved, err
}
