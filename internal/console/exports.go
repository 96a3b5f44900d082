package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/jobs"
)

// ExportStore is what the exports pages need from storage.
type ExportStore interface {
	CreateExport(ctx context.Context, e *admit.Export) (bool, error)
	ListExports(ctx context.Context, orgID int64, limit int) ([]*admit.Export, error)
	FindExport(ctx context.Context, orgID, id int64) (*admit.Export, error)
}

// ExportFiles opens the stored files of exports (jobs.ExportStorage).
type ExportFiles interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

func (h *Handler) registerExports(admin *echo.Group) {
	admin.GET("/exports", h.exportsShow)
	admin.POST("/exports", h.exportCreate)
	admin.GET("/exports/:export/download", h.exportDownload)
}

type choice struct{ Value, Label string }

var (
	exportKinds = []choice{{admit.ExportAttendees, "Attendees"}, {admit.ExportOrders, "Orders"},
		{admit.ExportCheckIns, "Check-ins"}}
	exportFormats = []choice{{admit.ExportXLSX, "Excel (.xlsx)"}, {admit.ExportCSV, "CSV"}}
)

func label(choices []choice, value string) string {
	for _, c := range choices {
		if c.Value == value {
			return c.Label
		}
	}
	return value
}

type exportForm struct {
	EventID      int64
	Kind, Format string
}

type exportRow struct {
	Export      *admit.Export
	Kind        string
	Format      string
	Requested   string
	Size        string
	DownloadURL string
	Until       string
	Expired     bool
}

type exportsPage struct {
	Base     basePage
	Events   []*admit.Event
	Kinds    []choice
	Formats  []choice
	Form     exportForm
	Problems admit.Problems
	Rows     []exportRow
	// Refresh reloads the page while an export is being prepared.
	Refresh bool
}

// exportsShow lists the organization's exports, newest first, with a form
// to request one.
func (h *Handler) exportsShow(c echo.Context) error {
	form := exportForm{Kind: admit.ExportAttendees, Format: admit.ExportXLSX}
	form.EventID, _ = strconv.ParseInt(c.QueryParam("event"), 10, 64)
	return h.renderExports(c, http.StatusOK, form, nil)
}

func (h *Handler) renderExports(c echo.Context, status int, form exportForm, problems admit.Problems) error {
	ctx := c.Request().Context()
	m := currentMember(c)
	events, err := h.store.ListEvents(ctx, m.org.ID)
	if err != nil {
		return err
	}
	list, err := h.store.ListExports(ctx, m.org.ID, 50)
	if err != nil {
		return err
	}
	page := exportsPage{Base: h.base(c, "exports"), Events: events, Kinds: exportKinds, Formats: exportFormats,
		Form: form, Problems: problems}
	for _, ex := range list {
		row := exportRow{Export: ex, Kind: label(exportKinds, ex.Kind), Format: label(exportFormats, ex.Format),
			Requested: ex.CreatedAt.UTC().Format("2 Jan 15:04"), Expired: ex.Status == admit.ExportDone && ex.Expired}
		if ex.Status == admit.ExportDone {
			row.Size = formatSize(ex.Size)
			if !ex.Expired {
				row.DownloadURL = fmt.Sprintf("/console/%s/exports/%d/download", m.org.Slug, ex.ID)
				row.Until = ex.ExpiresAt.UTC().Format("2 Jan 15:04")
			}
		}
		page.Refresh = page.Refresh || ex.Pending()
		page.Rows = append(page.Rows, row)
	}
	if page.Refresh {
		// Also as a header: a meta element belongs in the head, which the
		// layout does not open to pages.
		c.Response().Header().Set("Refresh", "3")
	}
	return h.html(c, status, "exports", page)
}

// exportCreate records the request; the worker builds the file.
func (h *Handler) exportCreate(c echo.Context) error {
	m := currentMember(c)
	form := exportForm{Kind: c.FormValue("kind"), Format: c.FormValue("format")}
	form.EventID, _ = strconv.ParseInt(c.FormValue("event"), 10, 64)
	ex := &admit.Export{OrganizationID: m.org.ID, EventID: form.EventID, Kind: form.Kind, Format: form.Format, RequestedBy: m.user.ID}
	existing, err := h.store.CreateExport(c.Request().Context(), ex)
	var de *admit.Error
	if admit.ErrorCode(err) == admit.EINVALID && errors.As(err, &de) {
		return h.renderExports(c, http.StatusUnprocessableEntity, form, de.Problems)
	} else if err != nil {
		return err
	}
	message := "Export requested: it appears below when it is ready."
	if existing {
		message = "This export is already being prepared."
	} else {
		h.audit(c, "export.requested", fmt.Sprintf("export:%d", ex.ID), fmt.Sprintf("%s (%s) of %s", ex.Kind, ex.Format, ex.EventName))
	}
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/exports", message)
}

// exportDownload streams the organization's export file. Another
// organization's export is not found; a link past its 7 days is gone.
func (h *Handler) exportDownload(c echo.Context) error {
	ctx := c.Request().Context()
	m := currentMember(c)
	id, err := strconv.ParseInt(c.Param("export"), 10, 64)
	if err != nil {
		return admit.Errorf(admit.ENOTFOUND, "Export not found.")
	}
	ex, err := h.store.FindExport(ctx, m.org.ID, id)
	if err != nil {
		return err
	}
	d, err := jobs.OpenDownload(ctx, h.exportFiles, ex)
	if err != nil {
		return err
	}
	defer d.File.Close()
	h.audit(c, "export.downloaded", fmt.Sprintf("export:%d", ex.ID), ex.FileName)
	return d.Send(c.Response())
}

func formatSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + " kB"
	}
	return strconv.FormatFloat(float64(n)/1000/1000, 'f', 1, 64) + " MB"
}
