package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

func memberID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("user"), 10, 64)
	if err != nil {
		return 0, admit.Errorf(admit.ENOTFOUND, "Member not found.")
	}
	return id, nil
}

// teamRoleChange gives a member another role. The last owner cannot be
// demoted; the page says so next to them.
func (h *Handler) teamRoleChange(c echo.Context) error {
	m := currentMember(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	role, ok := parseRole(c.FormValue("role"))
	if !ok {
		return h.renderTeam(c, http.StatusUnprocessableEntity, teamPage{}, id, "Choose owner, admin or check-in.")
	}
	changed, err := h.store.ChangeMemberRole(c.Request().Context(), m.org.ID, id, role, m.user.ID)
	if admit.ErrorCode(err) == admit.ECONFLICT {
		return h.renderTeam(c, http.StatusConflict, teamPage{}, id, admit.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	if id == m.user.ID && role != admit.RoleOwner {
		// The team page is for owners only: go where the new role leads.
		return h.redirectWithFlash(c, "/console/"+m.org.Slug, "You are now "+roleLabel(role)+" of "+m.org.Name+".")
	}
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/team", changed.Email+" is now "+roleLabel(role)+".")
}

// teamRemove takes a member out of the organization; their next request
// there is refused. The last owner cannot be removed.
func (h *Handler) teamRemove(c echo.Context) error {
	m := currentMember(c)
	id, err := memberID(c)
	if err != nil {
		return err
	}
	removed, err := h.store.RemoveMember(c.Request().Context(), m.org.ID, id, m.user.ID)
	if admit.ErrorCode(err) == admit.ECONFLICT {
		return h.renderTeam(c, http.StatusConflict, teamPage{}, id, admit.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	if id == m.user.ID {
		return h.redirectWithFlash(c, "/console", "You left "+m.org.Name+".")
	}
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/team", removed.Email+" is removed from the team.")
}
