package console

import "github.com/labstack/echo/v4"

// teamPages are the page templates of accounts and teams.
var teamPages = []string{}

// TeamStore is what accounts and teams need from storage.
type TeamStore interface{}

// registerTeam adds the account and team routes: public ones (password
// reset, accepting an invitation) to public, the signed-in user's own to
// user, and member management to owners.
func (h *Handler) registerTeam(public, user, owners *echo.Group) {}
