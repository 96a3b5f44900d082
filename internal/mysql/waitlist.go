package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// JoinWaitlist adds the person to the ticket type's waiting list; joining
// twice with one email keeps the first entry.
func (d *DB) JoinWaitlist(ctx context.Context, e *admit.WaitlistEntry) (err error) {
	defer wrap(&err, "DB.JoinWaitlist(%d)", e.TicketTypeID)
	res, err := d.db.ExecContext(ctx, `INSERT INTO waitlist_entries (organization_id, event_id, ticket_type_id, name, email, quantity)
		SELECT organization_id, event_id, id, ?, ?, 1 FROM ticket_types
		WHERE id = ? AND organization_id = ? AND event_id = ? AND NOT hidden`, e.Name, e.Email, e.TicketTypeID, e.OrganizationID, e.EventID)
	if isDuplicate(err) {
		return nil
	} else if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return admit.FieldError("ticket_type", "Choose a ticket type of this event.")
	}
	return nil
}

// ListWaitlist returns the event's waiting list, first come first.
func (d *DB) ListWaitlist(ctx context.Context, orgID, eventID int64) (list []admit.WaitlistEntry, err error) {
	defer wrap(&err, "DB.ListWaitlist(%d, %d)", orgID, eventID)
	rows, err := d.db.QueryContext(ctx, `SELECT w.id, w.organization_id, w.event_id, w.ticket_type_id, tt.name, w.name, w.email, w.quantity,
		COALESCE(w.hold_id, ''), w.offered_at, COALESCE(h.status, ''), COALESCE(h.expires_at > NOW(6), FALSE), h.expires_at
		FROM waitlist_entries w JOIN ticket_types tt ON tt.id = w.ticket_type_id LEFT JOIN holds h ON h.id = w.hold_id
		WHERE w.organization_id = ? AND w.event_id = ? ORDER BY w.id`, orgID, eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e admit.WaitlistEntry
		var offered, ends sql.NullTime
		var holdStatus string
		var live bool
		if err := rows.Scan(&e.ID, &e.OrganizationID, &e.EventID, &e.TicketTypeID, &e.TicketType, &e.Name, &e.Email, &e.Quantity,
			&e.HoldID, &offered, &holdStatus, &live, &ends); err != nil {
			return nil, err
		}
		e.OfferedAt, e.OfferEnds = offered.Time, ends.Time
		switch {
		case e.HoldID == "":
		case holdStatus == "converted":
			e.OfferState = "accepted"
		case holdStatus == "active" && live:
			e.OfferState = "open"
		default:
			e.OfferState = "expired"
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// OfferWaitlist sets a ticket aside for the waiting person: a hold without
// a buyer session that lasts ttl, taking capacity like any hold, and the
// offer email in the outbox, in one transaction. An entry with an open or
// accepted offer gets no second one; without capacity the error is
// ESOLDOUT.
func (d *DB) OfferWaitlist(ctx context.Context, orgID, entryID int64, ttl time.Duration) (e *admit.WaitlistEntry, hold *admit.Hold, err error) {
	defer wrap(&err, "DB.OfferWaitlist(%d, %d)", orgID, entryID)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		e = &admit.WaitlistEntry{}
		var holdStatus string
		var live bool
		err := tx.QueryRowContext(ctx, `SELECT w.id, w.event_id, w.ticket_type_id, w.email, w.quantity, COALESCE(w.hold_id, ''),
			COALESCE(h.status, ''), COALESCE(h.expires_at > NOW(6), FALSE)
			FROM waitlist_entries w LEFT JOIN holds h ON h.id = w.hold_id
			WHERE w.id = ? AND w.organization_id = ? FOR UPDATE`, entryID, orgID).
			Scan(&e.ID, &e.EventID, &e.TicketTypeID, &e.Email, &e.Quantity, &e.HoldID, &holdStatus, &live)
		if errors.Is(err, sql.ErrNoRows) {
			return admit.Errorf(admit.ENOTFOUND, "Waiting list entry not found.")
		} else if err != nil {
			return err
		}
		if holdStatus == "converted" || (holdStatus == "active" && live) {
			return admit.Errorf(admit.ECONFLICT, "%s already has an offer.", e.Email)
		}
		var now time.Time
		if err := tx.QueryRowContext(ctx, `SELECT NOW(6)`).Scan(&now); err != nil {
			return err
		}
		hold = &admit.Hold{ID: admit.NewToken(16), OrganizationID: orgID, EventID: e.EventID,
			Items: []admit.HoldItem{{TicketTypeID: e.TicketTypeID, Quantity: e.Quantity}}}
		// Offers are few: take carefully straight away (a quick take that
		// misses would have to start the whole offer over).
		if err := insertHold(ctx, tx, hold, hold.Items, ttl, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE waitlist_entries SET hold_id = ?, offered_at = ? WHERE id = ?`, hold.ID, now, e.ID); err != nil {
			return err
		}
		e.HoldID, e.OfferedAt = hold.ID, now
		return insertOutbox(ctx, tx, orgID, admit.WaitlistOfferPayload{EntryID: e.ID},
			admit.WebhookEvent{Type: "waitlist.offered", WaitlistEntryID: e.ID})
	})
	if err != nil {
		return nil, nil, err
	}
	return e, hold, nil
}

// FindWaitlistOffer returns the entry's offer for its email.
func (d *DB) FindWaitlistOffer(ctx context.Context, orgID, entryID int64) (o *admit.WaitlistOfferEmail, err error) {
	defer wrap(&err, "DB.FindWaitlistOffer(%d, %d)", orgID, entryID)
	o = &admit.WaitlistOfferEmail{}
	err = d.db.QueryRowContext(ctx, `SELECT w.name, w.email, org.name, tt.name, w.event_id, h.id, h.expires_at
		FROM waitlist_entries w JOIN organizations org ON org.id = w.organization_id JOIN ticket_types tt ON tt.id = w.ticket_type_id
		JOIN holds h ON h.id = w.hold_id WHERE w.id = ? AND w.organization_id = ?`, entryID, orgID).
		Scan(&o.Name, &o.Email, &o.Organization, &o.TicketType, &o.EventID, &o.HoldID, &o.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Offer not found.")
	}
	return o, err
}

// FindWaitlistEntry returns the organization's waiting-list entry with the
// state of its offer, as ListWaitlist shows it, or ENOTFOUND.
func (d *DB) FindWaitlistEntry(ctx context.Context, orgID, id int64) (e *admit.WaitlistEntry, err error) {
	defer wrap(&err, "DB.FindWaitlistEntry(%d, %d)", orgID, id)
	var eventID int64
	err = d.db.QueryRowContext(ctx, `SELECT event_id FROM waitlist_entries WHERE id = ? AND organization_id = ?`, id, orgID).Scan(&eventID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Waiting-list entry not found.")
	} else if err != nil {
		return nil, err
	}
	// Waiting lists are short: reading the event's list keeps the offer
	// state's rule in one query.
	list, err := d.ListWaitlist(ctx, orgID, eventID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, admit.Errorf(admit.ENOTFOUND, "Waiting-list entry not found.")
}
