package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/web"
	"github.com/admithq/admit/templates"
)

// TokenStore is what the API token pages need from storage.
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t *admit.APIToken, byUser int64) (string, error)
	ListAPITokens(ctx context.Context, orgID int64) ([]*admit.APIToken, error)
	RevokeAPIToken(ctx context.Context, orgID, id, byUser int64) (*admit.APIToken, bool, error)
}

// tokenPages serves the organization's API tokens to owners and admins.
// Its template is parsed when the routes are registered, at start.
type tokenPages struct {
	*Handler
	pages *templates.Set
}

// registerTokens adds the API token pages to g, whose members are owners
// and admins.
func (h *Handler) registerTokens(g *echo.Group) {
	set, err := templates.Parse("console/layout.html", "console", []string{"tokens"}, web.Funcs)
	if err != nil {
		panic("console: " + err.Error()) // the templates are embedded: a broken one is a build mistake
	}
	t := &tokenPages{Handler: h, pages: set}
	g.GET("/tokens", t.show)
	g.POST("/tokens", t.create)
	g.POST("/tokens/:token/revoke", t.revoke)
}

type scopeOption struct {
	Value, Label, Help string
}

var scopeOptions = []scopeOption{
	{admit.ScopeRead, "Read", "events, ticket types, orders, tickets, check-in lists, discount codes, questions"},
	{admit.ScopeWrite, "Write", "create comps and imports, cancel, mark paid, refund, change attendees, void tickets, add discount codes"},
	{admit.ScopeCheckIn, "Check-in", "read check-in lists and their tickets, check tickets in, undo check-ins"},
}

type tokenRow struct {
	*admit.APIToken
	Created  string
	LastUsed string
	Revoked  string
}

type tokensPage struct {
	Base     basePage
	Tokens   []tokenRow
	Scopes   []scopeOption
	Form     tokenForm
	Problems admit.Problems
	// Secret is the token just created: shown on this page only, never
	// again (the database keeps its hash).
	Secret    string
	NewToken  string
	ServerURL string
}

type tokenForm struct {
	Name   string
	Scopes map[string]bool
}

func (t *tokenPages) show(c echo.Context) error {
	return t.render(c, http.StatusOK, tokensPage{Form: tokenForm{Scopes: map[string]bool{admit.ScopeRead: true}}})
}

func (t *tokenPages) render(c echo.Context, status int, page tokensPage) error {
	m := currentMember(c)
	tokens, err := t.store.ListAPITokens(c.Request().Context(), m.org.ID)
	if err != nil {
		return err
	}
	page.Base, page.Scopes = t.base(c, "tokens"), scopeOptions
	page.ServerURL = c.Scheme() + "://" + c.Request().Host
	stamp := func(at time.Time, none string) string {
		if at.IsZero() {
			return none
		}
		return formatOrgTime(at)
	}
	for _, tok := range tokens {
		page.Tokens = append(page.Tokens, tokenRow{APIToken: tok, Created: stamp(tok.CreatedAt, ""),
			LastUsed: stamp(tok.LastUsedAt, "never"), Revoked: stamp(tok.RevokedAt, "")})
	}
	body, err := t.pages.Render("tokens", page)
	if err != nil {
		return err
	}
	// The page may carry a secret: no cache may keep it.
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, body)
}

// create makes a token and shows its secret, once. The answer is the page
// itself rather than a redirect, so the secret never travels in a URL or
// a cookie.
func (t *tokenPages) create(c echo.Context) error {
	m := currentMember(c)
	form := tokenForm{Name: c.FormValue("name"), Scopes: map[string]bool{}}
	tok := &admit.APIToken{OrganizationID: m.org.ID, Name: form.Name}
	for _, s := range c.Request().PostForm["scopes"] {
		form.Scopes[s] = true
		tok.Scopes = append(tok.Scopes, s)
	}
	secret, err := t.store.CreateAPIToken(c.Request().Context(), tok, m.user.ID)
	if err != nil {
		p, ok := problemsOf(err)
		if !ok {
			return err
		}
		return t.render(c, http.StatusUnprocessableEntity, tokensPage{Form: form, Problems: p})
	}
	return t.render(c, http.StatusCreated, tokensPage{Form: tokenForm{Scopes: map[string]bool{admit.ScopeRead: true}},
		Secret: secret, NewToken: tok.Name})
}

// revoke stops a token from working, from its next request on.
func (t *tokenPages) revoke(c echo.Context) error {
	m := currentMember(c)
	id, err := strconv.ParseInt(c.Param("token"), 10, 64)
	if err != nil {
		return admit.Errorf(admit.ENOTFOUND, "API token not found.")
	}
	back := "/console/" + m.org.Slug + "/tokens"
	if !confirmed(c) {
		tokens, err := t.store.ListAPITokens(c.Request().Context(), m.org.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(tokens, func(tok *admit.APIToken) bool { return tok.ID == id })
		if i < 0 {
			return admit.Errorf(admit.ENOTFOUND, "API token not found.")
		}
		tok := tokens[i]
		if !tok.RevokedAt.IsZero() {
			return t.redirectWithFlash(c, back, "Token "+tok.Name+" was already revoked.")
		}
		used := "It has never been used."
		if !tok.LastUsedAt.IsZero() {
			used = "It was last used " + formatOrgTime(tok.LastUsedAt) + "."
		}
		return t.askConfirmation(c, confirmPage{Base: basePage{Active: "tokens"}, Title: "Revoke token " + tok.Name,
			Lead:   "Revoke the API token " + tok.Name + " (" + tok.Prefix + "…, " + strings.Join(tok.Scopes, ", ") + "): every request made with it fails from now on.",
			Notes:  []string{used, "Integrations that use it stop working until they get a new token. This cannot be undone."},
			Action: back + "/" + strconv.FormatInt(id, 10) + "/revoke", Button: "Revoke token", Back: back, BackLabel: "Keep the token"})
	}
	tok, changed, err := t.store.RevokeAPIToken(c.Request().Context(), m.org.ID, id, m.user.ID)
	if err != nil {
		return err
	}
	msg := "Token " + tok.Name + " revoked: it no longer works."
	if !changed {
		msg = "Token " + tok.Name + " was already revoked."
	}
	return t.redirectWithFlash(c, back, msg)
}
