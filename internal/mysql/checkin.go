package mysql

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
)

// maxTicketCode is the width of tickets.code: anything longer is no code.
const maxTicketCode = 32

// CheckIn checks in the ticket with code on the list of the organization by
// the user. The code is looked up only among the tickets of the list's
// event in the organization, so any other code is CheckInUnknown. A refusal
// is an outcome, not an error, and records nothing. Two staff scanning the
// same ticket at the same instant get one CheckInOK and one CheckInAlready:
// the INSERT is guarded by the unique key on the list's active tickets.
func (d *DB) CheckIn(ctx context.Context, orgID, listID int64, code string, userID int64) (r *admit.CheckInResult, err error) {
	defer wrap(&err, "DB.CheckIn(%d, %d)", orgID, listID)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		r, err = checkInTx(ctx, tx, orgID, listID, code, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkInTx is CheckIn in the transaction tx; code may be signed (what a
// QR code carries) or bare.
func checkInTx(ctx context.Context, tx *sql.Tx, orgID, listID int64, code string, userID int64) (*admit.CheckInResult, error) {
	code = admit.TicketCodeOf(code)
	r := &admit.CheckInResult{Code: code}
	err := func() error {
		var eventID int64
		err := tx.QueryRowContext(ctx, `SELECT event_id FROM checkin_lists WHERE id = ? AND organization_id = ?`, listID, orgID).Scan(&eventID)
		if errors.Is(err, sql.ErrNoRows) {
			return errListNotFound
		} else if err != nil {
			return err
		}
		if code == "" || len(code) > maxTicketCode {
			r.Outcome = admit.CheckInUnknown
			return nil
		}
		// The shared locks keep the ticket and its order from being voided or
		// cancelled until this check-in commits. The ticket type row is read
		// without a lock: holds and orders update it on every sale.
		var ticketStatus, orderStatus string
		err = tx.QueryRowContext(ctx, `SELECT t.id, t.ticket_type_id, t.attendee_name, t.attendee_email, t.status, o.id, o.reference, o.status
			FROM tickets t JOIN orders o ON o.id = t.order_id
			WHERE t.code = ? AND t.organization_id = ? AND o.organization_id = ? AND o.event_id = ? LOCK IN SHARE MODE`,
			code, orgID, orgID, eventID).
			Scan(&r.TicketID, &r.TicketTypeID, &r.AttendeeName, &r.AttendeeEmail, &ticketStatus, &r.OrderID, &r.OrderReference, &orderStatus)
		if errors.Is(err, sql.ErrNoRows) {
			r.Outcome = admit.CheckInUnknown
			return nil
		} else if err != nil {
			return err
		}
		r.TicketStatus, r.OrderStatus = admit.TicketStatus(ticketStatus), admit.OrderStatus(orderStatus)
		if err := tx.QueryRowContext(ctx, `SELECT name FROM ticket_types WHERE id = ?`, r.TicketTypeID).Scan(&r.TicketType); err != nil {
			return err
		}
		switch {
		case r.TicketStatus == admit.TicketVoid || r.OrderStatus == admit.OrderCancelled || r.OrderStatus == admit.OrderRefunded:
			r.Outcome = admit.CheckInVoid
			return nil
		case r.TicketStatus != admit.TicketValid || r.OrderStatus != admit.OrderPaid:
			r.Outcome = admit.CheckInPending
			return nil
		}
		var admitted bool
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM checkin_list_ticket_types WHERE list_id = ? AND ticket_type_id = ?`,
			listID, r.TicketTypeID).Scan(&admitted); err != nil {
			return err
		}
		if !admitted {
			r.Outcome = admit.CheckInWrongList
			return nil
		}
		return insertCheckIn(ctx, tx, r, orgID, listID, userID)
	}()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// insertCheckIn records the check-in of r's ticket on the list, or finds the
// one already in force (CheckInAlready): the unique key on the list's
// active tickets decides between two staff scanning at once.
func insertCheckIn(ctx context.Context, tx *sql.Tx, r *admit.CheckInResult, orgID, listID, userID int64) error {
	// A check-in in force may be undone between the refused INSERT and
	// the read of it; then the INSERT is simply tried again.
	for range 3 {
		res, err := tx.ExecContext(ctx, `INSERT INTO checkins (organization_id, list_id, ticket_id, checked_in_by) VALUES (?, ?, ?, NULLIF(?, 0))`,
			orgID, listID, r.TicketID, userID)
		if isDuplicate(err) {
			r.Outcome = admit.CheckInAlready
			r.CheckIn, err = findCheckInWhere(ctx, tx, `c.list_id = ? AND c.active_ticket = ?`, listID, r.TicketID)
			if admit.ErrorCode(err) == admit.ENOTFOUND {
				continue
			}
			return err
		} else if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		r.Outcome = admit.CheckInOK
		if r.CheckIn, err = findCheckInWhere(ctx, tx, `c.id = ?`, id); err != nil {
			return err
		}
		return insertOutbox(ctx, tx, orgID, admit.WebhookEvent{Type: "checkin.created", TicketID: r.TicketID})
	}
	return errors.New("a check-in kept appearing and disappearing")
}

var errListNotFound = admit.Errorf(admit.ENOTFOUND, "Check-in list not found.")

// findCheckInWhere reads one check-in with a locking read: a plain read in
// a transaction sees its snapshot, which may predate the check-in another
// transaction just committed.
func findCheckInWhere(ctx context.Context, tx *sql.Tx, where string, args ...any) (*admit.CheckIn, error) {
	rows, err := tx.QueryContext(ctx, checkInSelect+` WHERE `+where+` LOCK IN SHARE MODE`, args...)
	if err != nil {
		return nil, err
	}
	list, err := scanCheckIns(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, admit.Errorf(admit.ENOTFOUND, "Check-in not found.")
	}
	return list[0], nil
}

const checkInSelect = `SELECT c.id, c.list_id, c.ticket_id, t.code, t.attendee_name, tt.name,
	COALESCE(NULLIF(u.name, ''), u.email, ''), c.created_at, c.undone_at, COALESCE(NULLIF(v.name, ''), v.email, '')
	FROM checkins c JOIN tickets t ON t.id = c.ticket_id JOIN ticket_types tt ON tt.id = t.ticket_type_id
	LEFT JOIN users u ON u.id = c.checked_in_by LEFT JOIN users v ON v.id = c.undone_by`

func scanCheckIns(rows *sql.Rows) ([]*admit.CheckIn, error) {
	defer rows.Close()
	var list []*admit.CheckIn
	for rows.Next() {
		c := &admit.CheckIn{}
		var undone sql.NullTime
		if err := rows.Scan(&c.ID, &c.ListID, &c.TicketID, &c.Code, &c.AttendeeName, &c.TicketType, &c.By, &c.At, &undone, &c.UndoneBy); err != nil {
			return nil, err
		}
		c.UndoneAt = undone.Time
		list = append(list, c)
	}
	return list, rows.Err()
}

// UndoCheckIn marks the check-in of the organization's list undone by the
// user, so the ticket can be checked in again. Only the check-in in force
// is undone: repeating the undo changes nothing and reports changed false.
// An undo writes the checkin.deleted webhook event, as a check-in writes
// checkin.created, in its transaction.
func (d *DB) UndoCheckIn(ctx context.Context, orgID, listID, checkInID, userID int64) (c *admit.CheckIn, changed bool, err error) {
	defer wrap(&err, "DB.UndoCheckIn(%d, %d, %d)", orgID, listID, checkInID)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkins SET undone_at = NOW(6), undone_by = NULLIF(?, 0)
			WHERE id = ? AND list_id = ? AND organization_id = ? AND undone_at IS NULL`, userID, checkInID, listID, orgID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		changed = n == 1
		c, err = findCheckInWhere(ctx, tx, `c.id = ? AND c.list_id = ? AND c.organization_id = ?`, checkInID, listID, orgID)
		if err != nil || !changed {
			return err
		}
		return insertOutbox(ctx, tx, orgID, admit.WebhookEvent{Type: "checkin.deleted", TicketID: c.TicketID})
	})
	if err != nil {
		return nil, false, err
	}
	return c, changed, nil
}

// ListCheckIns returns the latest check-ins of the organization's list,
// newest first, undone ones included.
func (d *DB) ListCheckIns(ctx context.Context, orgID, listID int64, limit int) (list []*admit.CheckIn, err error) {
	defer wrap(&err, "DB.ListCheckIns(%d, %d)", orgID, listID)
	rows, err := d.db.QueryContext(ctx, checkInSelect+` WHERE c.organization_id = ? AND c.list_id = ? ORDER BY c.id DESC LIMIT ?`,
		orgID, listID, limit)
	if err != nil {
		return nil, err
	}
	return scanCheckIns(rows)
}

// ListCheckInLists returns the check-in lists of the organization's event
// with their progress, by name; eventID 0 lists those of every event that
// is not archived, the latest-starting event first.
func (d *DB) ListCheckInLists(ctx context.Context, orgID, eventID int64) (lists []*admit.CheckInList, err error) {
	defer wrap(&err, "DB.ListCheckInLists(%d, %d)", orgID, eventID)
	where, args := `l.organization_id = ? AND e.status <> 'archived'`, []any{orgID}
	if eventID != 0 {
		where, args = `l.organization_id = ? AND l.event_id = ?`, []any{orgID, eventID}
	}
	rows, err := d.db.QueryContext(ctx, `SELECT l.id, l.organization_id, l.event_id, e.name, l.name, l.created_at
		FROM checkin_lists l JOIN events e ON e.id = l.event_id AND e.organization_id = l.organization_id
		WHERE `+where+` ORDER BY e.starts_at DESC, e.id DESC, l.name, l.id`, args...)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*admit.CheckInList{}
	for rows.Next() {
		l := &admit.CheckInList{}
		if err := rows.Scan(&l.ID, &l.OrganizationID, &l.EventID, &l.EventName, &l.Name, &l.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		lists = append(lists, l)
		byID[l.ID] = l
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(lists) == 0 {
		return nil, nil
	}
	if err := loadListDetails(ctx, d.db, orgID, eventID, byID); err != nil {
		return nil, err
	}
	return lists, nil
}

// FindCheckInList returns the organization's check-in list with its ticket
// types and progress, or ENOTFOUND.
func (d *DB) FindCheckInList(ctx context.Context, orgID, id int64) (l *admit.CheckInList, err error) {
	defer wrap(&err, "DB.FindCheckInList(%d, %d)", orgID, id)
	l = &admit.CheckInList{}
	err = d.db.QueryRowContext(ctx, `SELECT l.id, l.organization_id, l.event_id, e.name, l.name, l.created_at
		FROM checkin_lists l JOIN events e ON e.id = l.event_id AND e.organization_id = l.organization_id
		WHERE l.organization_id = ? AND l.id = ?`, orgID, id).
		Scan(&l.ID, &l.OrganizationID, &l.EventID, &l.EventName, &l.Name, &l.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errListNotFound
	} else if err != nil {
		return nil, err
	}
	if err := loadListDetails(ctx, d.db, orgID, l.EventID, map[int64]*admit.CheckInList{l.ID: l}); err != nil {
		return nil, err
	}
	return l, nil
}

// loadListDetails fills in the ticket types and progress of the lists, all
// of the organization (and of eventID unless it is 0), in three queries
// whatever their number. Progress counts only valid tickets of types the
// list admits now, so checked in never exceeds admitted.
func loadListDetails(ctx context.Context, q queryer, orgID, eventID int64, lists map[int64]*admit.CheckInList) error {
	scope, args := `l.organization_id = ?`, []any{orgID}
	if eventID != 0 {
		scope, args = `l.organization_id = ? AND l.event_id = ?`, []any{orgID, eventID}
	}
	each := func(query string, fn func(l *admit.CheckInList, n int64)) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			if l, ok := lists[id]; ok {
				fn(l, n)
			}
		}
		return rows.Err()
	}
	err := each(`SELECT lt.list_id, lt.ticket_type_id FROM checkin_list_ticket_types lt
		JOIN checkin_lists l ON l.id = lt.list_id JOIN ticket_types tt ON tt.id = lt.ticket_type_id
		WHERE `+scope+` ORDER BY lt.list_id, tt.position, tt.id`,
		func(l *admit.CheckInList, id int64) { l.TicketTypeIDs = append(l.TicketTypeIDs, id) })
	if err != nil {
		return err
	}
	err = each(`SELECT lt.list_id, COUNT(*) FROM checkin_list_ticket_types lt
		JOIN checkin_lists l ON l.id = lt.list_id JOIN tickets t ON t.ticket_type_id = lt.ticket_type_id
		WHERE `+scope+` AND t.organization_id = l.organization_id AND t.status = 'valid' GROUP BY lt.list_id`,
		func(l *admit.CheckInList, n int64) { l.Progress.Admitted = int(n) })
	if err != nil {
		return err
	}
	return each(`SELECT c.list_id, COUNT(*) FROM checkins c
		JOIN checkin_lists l ON l.id = c.list_id JOIN tickets t ON t.id = c.ticket_id
		JOIN checkin_list_ticket_types lt ON lt.list_id = c.list_id AND lt.ticket_type_id = t.ticket_type_id
		WHERE `+scope+` AND c.organization_id = l.organization_id AND c.undone_at IS NULL AND t.status = 'valid' GROUP BY c.list_id`,
		func(l *admit.CheckInList, n int64) { l.Progress.CheckedIn = int(n) })
}

// CreateCheckInList validates l and creates it for its event of its
// organization with its ticket types; it sets l.ID.
func (d *DB) CreateCheckInList(ctx context.Context, l *admit.CheckInList) (err error) {
	defer wrap(&err, "DB.CreateCheckInList(%d, %d)", l.OrganizationID, l.EventID)
	if err := l.Validate(); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		// The event must be the organization's: a list never crosses tenants.
		res, err := tx.ExecContext(ctx, `INSERT INTO checkin_lists (organization_id, event_id, name)
			SELECT organization_id, id, ? FROM events WHERE organization_id = ? AND id = ?`, l.Name, l.OrganizationID, l.EventID)
		if isDuplicate(err) {
			return errListNameTaken
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return admit.Errorf(admit.ENOTFOUND, "Event not found.")
		}
		if l.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return setListTicketTypes(ctx, tx, l)
	})
}

var errListNameTaken = admit.FieldError("name", "Another check-in list of this event has this name.")

// setListTicketTypes links the list to its ticket types; every one must be
// of the list's event and organization.
func setListTicketTypes(ctx context.Context, tx *sql.Tx, l *admit.CheckInList) error {
	ids := uniqueIDs(l.TicketTypeIDs)
	if len(ids) == 0 {
		return admit.FieldError("ticket_types", "Choose at least one ticket type this list admits.")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM checkin_list_ticket_types WHERE list_id = ?`, l.ID); err != nil {
		return err
	}
	args := []any{l.ID, l.OrganizationID, l.EventID}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO checkin_list_ticket_types (list_id, ticket_type_id)
		SELECT ?, id FROM ticket_types WHERE organization_id = ? AND event_id = ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != int64(len(ids)) {
		return admit.FieldError("ticket_types", "Choose ticket types of this event.")
	}
	l.TicketTypeIDs = ids
	return nil
}

func uniqueIDs(ids []int64) []int64 {
	out := append([]int64(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 0
	for i, id := range out {
		if i == 0 || id != out[n-1] {
			out[n] = id
			n++
		}
	}
	return out[:n]
}

// UpdateCheckInList validates l and saves its name and ticket types; the
// list must be the organization's and belong to l.EventID.
func (d *DB) UpdateCheckInList(ctx context.Context, l *admit.CheckInList) (err error) {
	defer wrap(&err, "DB.UpdateCheckInList(%d, %d)", l.OrganizationID, l.ID)
	if err := l.Validate(); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var found bool
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM checkin_lists WHERE id = ? AND organization_id = ? AND event_id = ? FOR UPDATE`,
			l.ID, l.OrganizationID, l.EventID).Scan(&found); err != nil {
			return err
		}
		if !found {
			return errListNotFound
		}
		_, err := tx.ExecContext(ctx, `UPDATE checkin_lists SET name = ? WHERE id = ? AND organization_id = ?`, l.Name, l.ID, l.OrganizationID)
		if isDuplicate(err) {
			return errListNameTaken
		} else if err != nil {
			return err
		}
		return setListTicketTypes(ctx, tx, l)
	})
}

// DeleteCheckInList deletes the organization's check-in list. A list with
// check-ins (undone ones included) is deleted only with withCheckIns, which
// deletes them too, and reports ECONFLICT otherwise; removed is how many
// check-ins went with it.
func (d *DB) DeleteCheckInList(ctx context.Context, orgID, id int64, withCheckIns bool) (removed int, err error) {
	defer wrap(&err, "DB.DeleteCheckInList(%d, %d)", orgID, id)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		var found bool
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM checkin_lists WHERE id = ? AND organization_id = ? FOR UPDATE`,
			id, orgID).Scan(&found); err != nil {
			return err
		}
		if !found {
			return errListNotFound
		}
		removed = 0
		if withCheckIns {
			res, err := tx.ExecContext(ctx, `DELETE FROM checkins WHERE list_id = ? AND organization_id = ?`, id, orgID)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			removed = int(n)
		}
		// Without withCheckIns, the foreign key from checkins refuses the
		// delete of a list that has any, including one made a moment ago.
		_, err := tx.ExecContext(ctx, `DELETE FROM checkin_lists WHERE id = ? AND organization_id = ?`, id, orgID)
		if isReferenced(err) {
			return admit.Errorf(admit.ECONFLICT, "This list has check-ins. Confirm that they are to be deleted with it.")
		}
		return err
	})
	return removed, err
}

// isReferenced reports whether err is a delete refused by a foreign key.
func isReferenced(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && me.Number == 1451
}

// CountEventCheckIns returns the organization's event's valid tickets and
// how many of them are checked in on at least one of its lists.
func (d *DB) CountEventCheckIns(ctx context.Context, orgID, eventID int64) (n admit.CheckInCount, err error) {
	defer wrap(&err, "DB.CountEventCheckIns(%d, %d)", orgID, eventID)
	err = d.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(EXISTS (SELECT 1 FROM checkins c
			WHERE c.ticket_id = t.id AND c.organization_id = t.organization_id AND c.undone_at IS NULL)), 0)
		FROM tickets t JOIN orders o ON o.id = t.order_id
		WHERE o.organization_id = ? AND o.event_id = ? AND t.organization_id = ? AND t.status = 'valid'`, orgID, eventID, orgID).
		Scan(&n.Admitted, &n.CheckedIn)
	return n, err
}
