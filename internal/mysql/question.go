package mysql

import (
	"context"
	"database/sql"
	"strings"

	"github.com/admithq/admit/internal/admit"
)

// CreateQuestion validates q and stores it for its event.
func (d *DB) CreateQuestion(ctx context.Context, q *admit.Question) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.CreateQuestion(%d, %d)", q.OrganizationID, q.EventID)
	if err := q.Validate(); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO questions (organization_id, event_id, label, kind, options, required, position)
			SELECT organization_id, id, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM questions WHERE event_id = ?)
			FROM events WHERE organization_id = ? AND id = ?`,
			q.Label, q.Kind, strings.Join(q.Options, "\n"), q.Required, q.EventID, q.OrganizationID, q.EventID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return admit.Errorf(admit.ENOTFOUND, "Event not found.")
		}
		if q.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, id := range q.TicketTypeIDs {
			res, err := tx.ExecContext(ctx, `INSERT INTO question_ticket_types (question_id, ticket_type_id)
				SELECT ?, id FROM ticket_types WHERE id = ? AND event_id = ? AND organization_id = ?`, q.ID, id, q.EventID, q.OrganizationID)
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

// ListQuestions returns the event's questions in the order they are asked.
func (d *DB) ListQuestions(ctx context.Context, orgID, eventID int64) (list []*admit.Question, err error) {
	defer wrap(&err, "DB.ListQuestions(%d, %d)", orgID, eventID)
	rows, err := d.db.QueryContext(ctx, `SELECT id, organization_id, event_id, label, kind, options, required, position
		FROM questions WHERE organization_id = ? AND event_id = ? ORDER BY position, id`, orgID, eventID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*admit.Question{}
	for rows.Next() {
		q := &admit.Question{}
		var options string
		if err := rows.Scan(&q.ID, &q.OrganizationID, &q.EventID, &q.Label, &q.Kind, &options, &q.Required, &q.Position); err != nil {
			rows.Close()
			return nil, err
		}
		if options != "" {
			q.Options = strings.Split(options, "\n")
		}
		list = append(list, q)
		byID[q.ID] = q
	}
	rows.Close()
	if len(list) == 0 {
		return nil, rows.Err()
	}
	rows, err = d.db.QueryContext(ctx, `SELECT qt.question_id, qt.ticket_type_id FROM question_ticket_types qt
		JOIN questions q ON q.id = qt.question_id WHERE q.organization_id = ? AND q.event_id = ? ORDER BY qt.ticket_type_id`, orgID, eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var qid, tid int64
		if err := rows.Scan(&qid, &tid); err != nil {
			return nil, err
		}
		if q := byID[qid]; q != nil {
			q.TicketTypeIDs = append(q.TicketTypeIDs, tid)
		}
	}
	return list, rows.Err()
}

// DeleteQuestion removes a question of the organization that nobody has
// answered yet; an answered one is ECONFLICT.
func (d *DB) DeleteQuestion(ctx context.Context, orgID, id int64) (err error) {
	defer d.definitionsChanged()
	defer wrap(&err, "DB.DeleteQuestion(%d, %d)", orgID, id)
	res, err := d.db.ExecContext(ctx, `DELETE FROM questions WHERE organization_id = ? AND id = ?
		AND NOT EXISTS (SELECT 1 FROM answers WHERE question_id = ?)`, orgID, id, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists bool
		if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM questions WHERE organization_id = ? AND id = ?`, orgID, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return admit.Errorf(admit.ENOTFOUND, "Question not found.")
		}
		return admit.Errorf(admit.ECONFLICT, "This question has answers and cannot be deleted.")
	}
	return nil
}
