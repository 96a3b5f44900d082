package mysql

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"errors"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// TicketKey returns the organization's event's ticket-signing key, made
// the first time it is asked for: events older than signed tickets get
// theirs then, and two callers at once agree on the one stored first.
func (d *DB) TicketKey(ctx context.Context, orgID, eventID int64) (k *admit.TicketKey, err error) {
	defer wrap(&err, "DB.TicketKey(%d, %d)", orgID, eventID)
	if k, err := findTicketKey(ctx, d.db, orgID, eventID); err == nil || admit.ErrorCode(err) != admit.ENOTFOUND {
		return k, err
	}
	_, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	// The event must be the organization's; a key made at the same moment
	// by another server wins and this one is dropped.
	if _, err := d.db.ExecContext(ctx, `INSERT IGNORE INTO event_signing_keys (event_id, organization_id, private_key)
		SELECT id, organization_id, ? FROM events WHERE id = ? AND organization_id = ?`, []byte(private), eventID, orgID); err != nil {
		return nil, err
	}
	return findTicketKey(ctx, d.db, orgID, eventID)
}

func findTicketKey(ctx context.Context, q *sql.DB, orgID, eventID int64) (*admit.TicketKey, error) {
	var private []byte
	err := q.QueryRowContext(ctx, `SELECT private_key FROM event_signing_keys WHERE event_id = ? AND organization_id = ?`,
		eventID, orgID).Scan(&private)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, admit.Errorf(admit.ENOTFOUND, "Event not found.")
	} else if err != nil {
		return nil, err
	}
	return &admit.TicketKey{EventID: eventID, Private: ed25519.PrivateKey(private)}, nil
}

// OfflineCheckInList returns what a phone needs to check tickets in on the
// organization's list without a connection: the event's public key, the
// types the list admits and the codes it must refuse. Codes are those of
// the list's event only.
func (d *DB) OfflineCheckInList(ctx context.Context, orgID, listID int64) (o *admit.OfflineList, err error) {
	defer wrap(&err, "DB.OfflineCheckInList(%d, %d)", orgID, listID)
	l, err := d.FindCheckInList(ctx, orgID, listID)
	if err != nil {
		return nil, err
	}
	key, err := d.TicketKey(ctx, orgID, l.EventID)
	if err != nil {
		return nil, err
	}
	o = &admit.OfflineList{ListID: l.ID, EventID: l.EventID, Name: l.Name, EventName: l.EventName, PublicKey: key.PublicKey(),
		TicketTypes: map[int64]string{}, Refused: map[string]admit.CheckInOutcome{}, Fetched: time.Now().UTC()}
	rows, err := d.db.QueryContext(ctx, `SELECT tt.id, tt.name FROM checkin_list_ticket_types lt JOIN ticket_types tt ON tt.id = lt.ticket_type_id
		WHERE lt.list_id = ? AND tt.organization_id = ?`, l.ID, orgID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, err
		}
		o.TicketTypes[id] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = d.db.QueryContext(ctx, `SELECT t.code, t.status, o.status, EXISTS (SELECT 1 FROM checkins c
			WHERE c.list_id = ? AND c.active_ticket = t.id)
		FROM tickets t JOIN orders o ON o.id = t.order_id
		WHERE o.organization_id = ? AND o.event_id = ? AND t.organization_id = ?`, l.ID, orgID, l.EventID, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code, ticketStatus, orderStatus string
		var checkedIn bool
		if err := rows.Scan(&code, &ticketStatus, &orderStatus, &checkedIn); err != nil {
			return nil, err
		}
		switch {
		case ticketStatus == string(admit.TicketVoid) || orderStatus == string(admit.OrderCancelled) || orderStatus == string(admit.OrderRefunded):
			o.Refused[code] = admit.CheckInVoid
		case ticketStatus != string(admit.TicketValid) || orderStatus != string(admit.OrderPaid):
			o.Refused[code] = admit.CheckInPending
		case checkedIn:
			o.CheckedIn = append(o.CheckedIn, code)
		}
	}
	return o, rows.Err()
}

// maxScansPerSync bounds one sync: a phone sends its queue in parts.
const maxScansPerSync = 500

// SyncCheckIns records the scans a phone made offline on the
// organization's list, by the user, each as a check-in would have been
// made online, in the order given. Each scan is recorded once, under its
// id: a scan synced again (the phone retrying, or two phones sharing a
// queue) answers what it came to the first time, Replayed, and checks in
// nothing. However many phones sync at once, a ticket is checked in on the
// list at most once: a second scan of it is CheckInAlready.
func (d *DB) SyncCheckIns(ctx context.Context, orgID, listID, userID int64, scans []admit.OfflineScan) (results []admit.ScanResult, err error) {
	defer wrap(&err, "DB.SyncCheckIns(%d, %d)", orgID, listID)
	if len(scans) > maxScansPerSync {
		return nil, admit.FieldError("scans", "At most 500 scans per sync.")
	}
	for i := range scans {
		if err := scans[i].Validate(); err != nil {
			return nil, err
		}
	}
	// One short transaction per scan: a sync of hundreds of scans must not
	// hold the locks of every ticket until its end, and each scan stands on
	// its own whether the others were synced before or not.
	for _, s := range scans {
		var r admit.ScanResult
		err := d.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			r, err = syncScan(ctx, tx, orgID, listID, userID, s)
			return err
		})
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

// syncScan records one scan in tx. The scan's row is written first: its
// unique key makes a second sync of the same scan wait for the first to
// commit, then read what it came to.
func syncScan(ctx context.Context, tx *sql.Tx, orgID, listID, userID int64, s admit.OfflineScan) (admit.ScanResult, error) {
	r := admit.ScanResult{ScanID: s.ID}
	res, err := tx.ExecContext(ctx, `INSERT INTO checkin_scans (organization_id, list_id, scan_id, code, scanned_at, outcome, synced_by)
		SELECT organization_id, id, ?, ?, ?, '', NULLIF(?, 0) FROM checkin_lists WHERE id = ? AND organization_id = ?`,
		s.ID, s.Code, nullTime(s.At), userID, listID, orgID)
	if isDuplicate(err) {
		r.Replayed = true
		return r, findSyncedScan(ctx, tx, orgID, listID, &r)
	} else if err != nil {
		return r, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return r, errListNotFound
	}
	id, err := res.LastInsertId()
	if err != nil {
		return r, err
	}
	cr, err := checkInTx(ctx, tx, orgID, listID, s.Code, userID)
	if err != nil {
		return r, err
	}
	r.Result = *cr
	var checkInID int64
	if cr.Outcome == admit.CheckInOK && cr.CheckIn != nil {
		checkInID = cr.CheckIn.ID
	}
	_, err = tx.ExecContext(ctx, `UPDATE checkin_scans SET outcome = ?, ticket_id = NULLIF(?, 0), checkin_id = NULLIF(?, 0) WHERE id = ?`,
		string(cr.Outcome), cr.TicketID, checkInID, id)
	return r, err
}

// findSyncedScan fills r with what the scan r.ScanID came to when it was
// first synced, with a locking read so that it sees that sync's commit.
func findSyncedScan(ctx context.Context, tx *sql.Tx, orgID, listID int64, r *admit.ScanResult) error {
	var code, outcome string
	var ticketID, checkInID sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT code, outcome, ticket_id, checkin_id FROM checkin_scans
		WHERE list_id = ? AND scan_id = ? AND organization_id = ? LOCK IN SHARE MODE`, listID, r.ScanID, orgID).
		Scan(&code, &outcome, &ticketID, &checkInID)
	if errors.Is(err, sql.ErrNoRows) {
		// The same id on another organization's list: not this one's.
		return admit.FieldError("id", "This scan id is taken.")
	} else if err != nil {
		return err
	}
	r.Result = admit.CheckInResult{Outcome: admit.CheckInOutcome(outcome), Code: admit.TicketCodeOf(code), TicketID: ticketID.Int64}
	if ticketID.Valid {
		var ticketStatus, orderStatus string
		if err := tx.QueryRowContext(ctx, `SELECT t.ticket_type_id, tt.name, t.attendee_name, t.attendee_email, t.status, o.id, o.reference, o.status
			FROM tickets t JOIN orders o ON o.id = t.order_id JOIN ticket_types tt ON tt.id = t.ticket_type_id
			WHERE t.id = ? AND t.organization_id = ?`, ticketID.Int64, orgID).
			Scan(&r.Result.TicketTypeID, &r.Result.TicketType, &r.Result.AttendeeName, &r.Result.AttendeeEmail, &ticketStatus,
				&r.Result.OrderID, &r.Result.OrderReference, &orderStatus); err != nil {
			return err
		}
		r.Result.TicketStatus, r.Result.OrderStatus = admit.TicketStatus(ticketStatus), admit.OrderStatus(orderStatus)
	}
	if checkInID.Valid {
		ci, err := findCheckInWhere(ctx, tx, `c.id = ?`, checkInID.Int64)
		if err != nil && admit.ErrorCode(err) != admit.ENOTFOUND {
			return err
		}
		r.Result.CheckIn = ci
	}
	return nil
}

// createDefaultCheckInList gives a new event its "Main entrance" list,
// admitting every ticket type it has; ticket types created later join every
// list that admits all the others (addToAllTypeLists).
func createDefaultCheckInList(ctx context.Context, tx *sql.Tx, orgID, eventID int64) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO checkin_lists (organization_id, event_id, name) VALUES (?, ?, 'Main entrance')`, orgID, eventID)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO checkin_list_ticket_types (list_id, ticket_type_id)
		SELECT ?, id FROM ticket_types WHERE organization_id = ? AND event_id = ?`, id, orgID, eventID)
	return err
}

// addToAllTypeLists adds the new ticket type to each list of its event that
// admits every other ticket type of the event: a list made to admit
// everyone (the default one) keeps doing so when a type is added, while a
// list that admits some types only is left as the organizer chose it.
func addToAllTypeLists(ctx context.Context, tx *sql.Tx, orgID, eventID, ticketTypeID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT IGNORE INTO checkin_list_ticket_types (list_id, ticket_type_id)
		SELECT l.id, ? FROM checkin_lists l
		WHERE l.organization_id = ? AND l.event_id = ?
		AND (SELECT COUNT(*) FROM checkin_list_ticket_types lt WHERE lt.list_id = l.id) =
			(SELECT COUNT(*) FROM ticket_types tt WHERE tt.organization_id = ? AND tt.event_id = ? AND tt.id <> ?)`,
		ticketTypeID, orgID, eventID, orgID, eventID, ticketTypeID)
	return err
}
