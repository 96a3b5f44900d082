package console

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// confirmPage asks the organizer to confirm a destructive action, naming
// what it will do. Its form posts the same request again with confirm=1;
// a handler acts only when that is set, so one stray click, a replayed
// form or a script posting the first form does nothing.
type confirmPage struct {
	Base   basePage
	Title  string
	Lead   string   // what will happen, in one sentence
	Items  []string // what it happens to: tickets, amounts
	Notes  []string
	Action string
	Hidden []hiddenField
	Button string
	Back   string
	// BackLabel names the way out ("Keep the order").
	BackLabel string
	// AskReason asks for a reason, recorded with the action.
	AskReason     bool
	Reason        string
	ReasonProblem string
}

type hiddenField struct{ Name, Value string }

// confirmed reports whether the form is the confirmation step's.
func confirmed(c echo.Context) bool { return c.FormValue("confirm") == "1" }

// askConfirmation renders the confirmation step: 200 the first time, 422
// when the confirmation came back with a problem (a missing reason).
func (h *Handler) askConfirmation(c echo.Context, p confirmPage) error {
	p.Base = h.base(c, p.Base.Active)
	status := http.StatusOK
	if p.ReasonProblem != "" {
		status = http.StatusUnprocessableEntity
	}
	return h.html(c, status, "confirm", p)
}
