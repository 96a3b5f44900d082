package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

type teamPage struct {
	Base        basePage
	Members     []memberRow
	Invitations []invitationRow
	Roles       []roleOption
	Form        inviteForm
	Problems    admit.Problems // of the invitation form
}

type memberRow struct {
	admit.Member
	RoleLabel string
	Since     string
	Self      bool
	Problem   string // why a change to this member was refused
}

type invitationRow struct {
	*admit.Invitation
	RoleLabel string
	Expires   string
}

type inviteForm struct {
	Email string
	Role  string
}

// teamShow lists the organization's members and pending invitations.
func (h *Handler) teamShow(c echo.Context) error {
	return h.renderTeam(c, http.StatusOK, teamPage{}, 0, "")
}

// renderTeam shows the team page with status, keeping page's form and
// problems; a refused change to member problemUser is explained on their
// row.
func (h *Handler) renderTeam(c echo.Context, status int, page teamPage, problemUser int64, problem string) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	members, err := h.store.ListMembers(ctx, m.org.ID)
	if err != nil {
		return err
	}
	invitations, err := h.store.ListInvitations(ctx, m.org.ID)
	if err != nil {
		return err
	}
	page.Base, page.Roles = h.base(c, "team"), roleOptions
	if page.Form.Role == "" {
		page.Form.Role = string(admit.RoleAdmin)
	}
	for _, mem := range members {
		row := memberRow{Member: mem, RoleLabel: roleLabel(mem.Role), Since: formatUTC(mem.Since), Self: mem.UserID == m.user.ID}
		if mem.UserID == problemUser {
			row.Problem = problem
		}
		page.Members = append(page.Members, row)
	}
	for _, inv := range invitations {
		page.Invitations = append(page.Invitations, invitationRow{Invitation: inv, RoleLabel: roleLabel(inv.Role), Expires: formatUTC(inv.ExpiresAt)})
	}
	return h.html(c, status, "team", page)
}
