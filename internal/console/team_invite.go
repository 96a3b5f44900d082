package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// teamInvite invites someone by email with a role: the invitation and its
// email are stored in one transaction, and the link works for seven days.
func (h *Handler) teamInvite(c echo.Context) error {
	m := currentMember(c)
	ctx := c.Request().Context()
	page := teamPage{Form: inviteForm{
		Email: strings.ToLower(strings.TrimSpace(c.FormValue("email"))),
		Role:  strings.TrimSpace(c.FormValue("role")),
	}}
	switch {
	case page.Form.Email == "":
		page.Problems.Add("email", "Enter the email address of the person to invite.")
	case !admit.ValidEmail(page.Form.Email):
		page.Problems.Add("email", "Enter an email address such as name@example.com.")
	}
	role, ok := parseRole(page.Form.Role)
	if !ok {
		page.Problems.Add("role", "Choose owner, admin or check-in.")
		page.Form.Role = "" // the form then offers the default, never owner by accident
	}
	if len(page.Problems) > 0 {
		return h.renderTeam(c, http.StatusUnprocessableEntity, page, 0, "")
	}
	if !h.limiter.Allow(ctx, "invite-org:"+strconv.FormatInt(m.org.ID, 10), 50, time.Hour) {
		c.Response().Header().Set("Retry-After", "3600")
		page.Problems.Add("email", "Too many invitations in the last hour. Try again later.")
		return h.renderTeam(c, http.StatusTooManyRequests, page, 0, "")
	}
	token := admit.NewToken(32)
	inv := &admit.Invitation{OrganizationID: m.org.ID, Email: page.Form.Email, Role: role, InvitedBy: m.user.ID}
	if err := h.store.CreateInvitation(ctx, inv, token, "/console/invitations/"+token); err != nil {
		var de *admit.Error
		if errors.As(err, &de) && de.Code == admit.EINVALID {
			page.Problems.Add(de.Field, de.Message)
			return h.renderTeam(c, http.StatusUnprocessableEntity, page, 0, "")
		}
		return err
	}
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/team", "Invitation sent to "+inv.Email+".")
}

// teamRevoke withdraws a pending invitation; its link stops working.
func (h *Handler) teamRevoke(c echo.Context) error {
	m := currentMember(c)
	id, err := strconv.ParseInt(c.Param("invitation"), 10, 64)
	if err != nil {
		return admit.Errorf(admit.ENOTFOUND, "Invitation not found.")
	}
	inv, err := h.store.RevokeInvitation(c.Request().Context(), m.org.ID, id, m.user.ID)
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/team", "The invitation to "+inv.Email+" is withdrawn.")
}
