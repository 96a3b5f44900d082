package console

import (
	"net/http"

	"github.com/admithq/admit/internal/admit"
	"github.com/labstack/echo/v4"
)

type auditPage struct {
	Base    basePage
	Entries []admit.AuditEntry
}

// auditList shows who did what in the organization, newest first.
func (h *Handler) auditList(c echo.Context) error {
	m := currentMember(c)
	entries, err := h.store.ListAudit(c.Request().Context(), m.org.ID, 200)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "audit", auditPage{Base: h.base(c, "audit"), Entries: entries})
}
