package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type questionRow struct {
	Question *admit.Question
	Types    string
}

type questionsPage struct {
	Base      basePage
	Event     *admit.Event
	Types     []*admit.TicketType
	Questions []questionRow
	Form      questionForm
	Problems  admit.Problems
}

type questionForm struct {
	Label, Kind, Options string
	Required             bool
	TicketTypes          map[int64]bool
}

// questionsShow lists the questions asked at checkout, with a form to add
// one.
func (h *Handler) questionsShow(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	return h.renderQuestions(c, http.StatusOK, ev, questionForm{Kind: admit.QuestionText}, nil)
}

func (h *Handler) renderQuestions(c echo.Context, status int, ev *admit.Event, form questionForm, problems admit.Problems) error {
	ctx := c.Request().Context()
	m := currentMember(c)
	types, err := h.store.ListTicketTypes(ctx, m.org.ID, ev.ID, true)
	if err != nil {
		return err
	}
	questions, err := h.store.ListQuestions(ctx, m.org.ID, ev.ID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	page := questionsPage{Base: h.base(c, "events"), Event: ev, Types: types, Form: form, Problems: problems}
	for _, q := range questions {
		var tn []string
		for _, id := range q.TicketTypeIDs {
			tn = append(tn, names[id])
		}
		row := questionRow{Question: q, Types: strings.Join(tn, ", ")}
		if row.Types == "" {
			row.Types = "all"
		}
		page.Questions = append(page.Questions, row)
	}
	return h.html(c, status, "questions", page)
}

// questionCreate adds a question from the form.
func (h *Handler) questionCreate(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	form := questionForm{Label: c.FormValue("label"), Kind: c.FormValue("kind"), Options: c.FormValue("options"),
		Required: c.FormValue("required") != "", TicketTypes: map[int64]bool{}}
	q := &admit.Question{OrganizationID: m.org.ID, EventID: ev.ID, Label: form.Label, Kind: form.Kind,
		Options: strings.Split(strings.ReplaceAll(form.Options, "\r\n", "\n"), "\n"), Required: form.Required}
	var p admit.Problems
	for _, v := range c.Request().PostForm["ticket_types"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			p.Add("ticket_types", "Choose ticket types from the list.")
			break
		}
		q.TicketTypeIDs = append(q.TicketTypeIDs, id)
		form.TicketTypes[id] = true
	}
	if len(p) == 0 {
		if err := h.store.CreateQuestion(c.Request().Context(), q); err != nil {
			var ok bool
			if p, ok = problemsOf(err); !ok {
				return err
			}
		}
	}
	if len(p) > 0 {
		return h.renderQuestions(c, http.StatusUnprocessableEntity, ev, form, p)
	}
	h.audit(c, "question.created", q.Label, ev.Name)
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/events/"+strconv.FormatInt(ev.ID, 10)+"/questions", "Question added.")
}

// questionDelete removes a question nobody has answered.
func (h *Handler) questionDelete(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	id, err := strconv.ParseInt(c.Param("question"), 10, 64)
	if err != nil {
		return admit.Errorf(admit.ENOTFOUND, "Question not found.")
	}
	to := "/console/" + m.org.Slug + "/events/" + strconv.FormatInt(ev.ID, 10) + "/questions"
	if err := h.store.DeleteQuestion(c.Request().Context(), m.org.ID, id); err != nil {
		if admit.ErrorCode(err) == admit.ECONFLICT {
			return h.redirectWithFlash(c, to, admit.ErrorMessage(err))
		}
		return err
	}
	h.audit(c, "question.deleted", strconv.FormatInt(id, 10), ev.Name)
	return h.redirectWithFlash(c, to, "Question deleted.")
}
