package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/flags"
)

// flagSet changes a flag as admit flags set does: the same parser and
// rules (admit.ParseFlag), the same stored change with its row in the
// flag's audit, and the operator's email address as who made it. Turning a
// flag on for every organization asks first: it reaches every buyer at once.
func (h *Handler) flagSet(c echo.Context) error {
	ctx := c.Request().Context()
	current, err := h.operatorFlag(ctx, c.Param("flag"))
	if err != nil {
		return err
	}
	input := c.FormValue("setting")
	next, err := admit.ParseFlag(current.Name, input)
	if admit.ErrorCode(err) == admit.EINVALID {
		return h.renderFlags(c, http.StatusUnprocessableEntity, current.Name, input, admit.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	if next.Mode == admit.FlagAll && current.Mode != admit.FlagAll && !confirmed(c) {
		return h.askConfirmation(c, confirmPage{Base: basePage{Active: "flags"},
			Title:     "Turn " + current.Name + " on for everyone",
			Lead:      current.Name + " will be on for every organization, on every server within " + ttlText() + ".",
			Items:     []string{"Now: " + flagState(current)},
			Notes:     []string{"To step back, set it again to " + current.String() + "."},
			Action:    flagsPath + "/" + current.Name,
			Hidden:    []hiddenField{{Name: "setting", Value: input}},
			Button:    "Turn on for everyone",
			Back:      flagsPath,
			BackLabel: "Keep it as it is",
		})
	}
	operator := c.Get(userKey).(*admit.User)
	old, err := h.store.SetFlag(ctx, next, operator.Email)
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, flagsPath, fmt.Sprintf("%s: %s -> %s. Every server follows within %s.", next.Name, old, next, ttlText()))
}

// flagState says what a flag's setting means for organizations.
func flagState(f admit.Flag) string {
	switch f.Mode {
	case admit.FlagAll:
		return "on for every organization"
	case admit.FlagPercent:
		return fmt.Sprintf("on for %d%% of organizations", f.Percent)
	case admit.FlagOrgs:
		return "on for " + strings.Join(f.Orgs, ", ")
	}
	return "off"
}

// ttlText is how long the servers may go on with what they read before,
// in words.
func ttlText() string {
	return fmt.Sprintf("%d seconds", int(flags.DefaultTTL.Seconds()))
}
