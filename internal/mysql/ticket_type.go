package mysql

import (
	"context"
	"database/sql"

	"github.com/admithq/admit/internal/admit"
)

const ticketTypeColumns = `id, organization_id, event_id, name, description, price, quantity, reserved, sold,
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
	defer wrap(&err, "DB.CreateTicketType(%d, %d)", t.OrganizationID, t.EventID)
	if err := t.Validate(); err != nil {
		return err
	}
	// The event must belong to the same organization: a ticket type is never
	// attached across tenants.
	res, err := d.db.ExecContext(ctx, `INSERT INTO ticket_types (organization_id, event_id, name, description, price,
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
	t.ID, err = res.LastInsertId()
	return err
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
