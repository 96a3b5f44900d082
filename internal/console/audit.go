package console

import (
	"net/http"

	"github.com/admithq/admit/internal/admit"
	"github.com/labstack/echo/v4"
)

type auditPage struct {
	Base    basePage
	Entries []auditRow
}

type auditRow struct {
	admit.AuditEntry
	When string
}

// auditList shows who did what in the organization, newest first.
func (h *Handler) auditList(c echo.Context) error {
	m := currentMember(c)
	entries, err := h.store.ListAudit(c.Request().Context(), m.org.ID, 200)
	if err != nil {
		return err
	}
	page := auditPage{Base: h.base(c, "audit")}
	for _, e := range entries {
		page.Entries = append(page.Entries, auditRow{AuditEntry: e, When: formatOrgTime(e.CreatedAt)})
	}
	return h.html(c, http.StatusOK, "audit", page)
}
