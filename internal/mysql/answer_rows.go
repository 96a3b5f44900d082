package mysql

import (
	"cmp"
	"context"
	"slices"

	"github.com/admithq/admit/internal/admit"
)

// answerRow is one attendee's answer with where its question sits on the
// form.
type answerRow struct {
	ticketID, position int64
	admit.TicketAnswer
}

// queryAnswers runs a query of (ticket id, question id, label, value,
// position) rows and returns them in form order: by ticket, then question
// position, then question id. The order is made here, not by ORDER BY:
// sorting rows with a TEXT column makes MariaDB build an internal Aria
// temporary table for every call, and these run for every order a page,
// an API call or a confirmation email reads. (MariaDB 10.11 also crashed
// once freeing such a table for a killed connection; see ops/README.md.)
func queryAnswers(ctx context.Context, q queryer, query string, args ...any) ([]answerRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []answerRow
	for rows.Next() {
		var a answerRow
		if err := rows.Scan(&a.ticketID, &a.QuestionID, &a.Label, &a.Value, &a.position); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y answerRow) int {
		return cmp.Or(cmp.Compare(x.ticketID, y.ticketID), cmp.Compare(x.position, y.position), cmp.Compare(x.QuestionID, y.QuestionID))
	})
	return out, rows.Err()
}
