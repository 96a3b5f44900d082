package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// FlagStore is what the operators' feature flag page needs from storage
// (the same calls admit flags makes).
type FlagStore interface {
	ListFlags(ctx context.Context) ([]admit.Flag, error)
	SetFlag(ctx context.Context, f admit.Flag, by string) (old string, err error)
	LatestFlagChanges(ctx context.Context) (map[string]admit.FlagChange, error)
	FlagChanges(ctx context.Context, limit int) ([]admit.FlagChange, error)
}

// flagsPath is the operators' flag page. "admin" is a reserved slug, so no
// organization's pages can be shadowed by it.
const flagsPath = "/console/admin/flags"

// registerFlags adds the operators' pages to user, whose requests have a
// signed-in user; each route checks that the user is an operator.
func (h *Handler) registerFlags(user *echo.Group) {
	user.GET("/admin/flags", h.flagsShow, h.requireOperator)
	user.POST("/admin/flags/:flag", h.flagSet, h.requireOperator)
}

// isOperator reports whether u operates the installation.
func (h *Handler) isOperator(u *admit.User) bool {
	return u != nil && h.operators[strings.ToLower(u.Email)]
}

// requireOperator answers anyone but an operator exactly as a console URL
// that does not exist (one under an organization nobody has): an organizer
// learns nothing of the operators' pages, not even that they are there.
func (h *Handler) requireOperator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, _ := c.Get(userKey).(*admit.User)
		if !h.isOperator(u) {
			return admit.Errorf(admit.ENOTFOUND, "Not found.")
		}
		return next(c)
	}
}

type flagsPage struct {
	Base    basePage
	Flags   []flagRow
	Changes []flagChangeRow
}

// flagRow is one flag with its form. Input and Problem carry a setting that
// was refused back to the flag it was meant for.
type flagRow struct {
	Name    string
	Setting string // as admit flags set takes it
	Mode    string
	State   string // what it means, in words
	Orgs    []string
	Unknown []string // slugs no organization has
	Known   bool
	Changed *flagChangeRow
	Input   string
	Problem string
}

type flagChangeRow struct {
	admit.FlagChange
	When string
}

// flagsShow lists every flag the code asks about and every stored one, with
// its setting and its latest change, and a form to change each.
func (h *Handler) flagsShow(c echo.Context) error {
	return h.renderFlags(c, http.StatusOK, "", "", "")
}

// renderFlags renders the page; problem, when set, is shown next to the
// field of the flag named, which keeps input.
func (h *Handler) renderFlags(c echo.Context, status int, name, input, problem string) error {
	ctx := c.Request().Context()
	stored, err := h.store.ListFlags(ctx)
	if err != nil {
		return err
	}
	latest, err := h.store.LatestFlagChanges(ctx)
	if err != nil {
		return err
	}
	changes, err := h.store.FlagChanges(ctx, 20)
	if err != nil {
		return err
	}
	page := flagsPage{Base: h.base(c, "flags")}
	for _, f := range admit.OperatorFlags(stored) {
		row := flagRow{Name: f.Name, Setting: f.String(), Mode: f.Mode, State: flagState(f), Orgs: f.Orgs, Unknown: f.UnknownOrgs,
			Known: admit.KnownFlag(f.Name), Input: f.String()}
		if ch, ok := latest[f.Name]; ok {
			row.Changed = &flagChangeRow{FlagChange: ch, When: formatOrgTime(ch.At)}
		}
		if f.Name == name {
			row.Input, row.Problem = input, problem
		}
		page.Flags = append(page.Flags, row)
	}
	for _, ch := range changes {
		page.Changes = append(page.Changes, flagChangeRow{FlagChange: ch, When: formatOrgTime(ch.At)})
	}
	return h.html(c, status, "flags", page)
}

// operatorFlag returns the flag named as the page lists it, or ENOTFOUND
// for a name the page does not list: the page changes the flags there are,
// and a new name belongs to the code that asks about it.
func (h *Handler) operatorFlag(ctx context.Context, name string) (admit.Flag, error) {
	stored, err := h.store.ListFlags(ctx)
	if err != nil {
		return admit.Flag{}, err
	}
	for _, f := range admit.OperatorFlags(stored) {
		if f.Name == name {
			return f, nil
		}
	}
	return admit.Flag{}, admit.Errorf(admit.ENOTFOUND, "No flag is named %s.", strconv.Quote(name))
}
