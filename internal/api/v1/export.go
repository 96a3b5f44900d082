package v1

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/wire"
)

// v1ExportStore is what the export routes need from storage.
type v1ExportStore interface {
	CreateExport(ctx context.Context, e *admit.Export) (bool, error)
	FindExport(ctx context.Context, orgID, id int64) (*admit.Export, error)
}

// ExportFiles opens the stored files of exports (jobs.ExportStorage).
type ExportFiles interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

type v1Export struct {
	ID         int64      `json:"id"`
	EventID    int64      `json:"event_id"`
	Kind       string     `json:"kind"`
	Format     string     `json:"format"`
	Status     string     `json:"status"`
	Rows       int        `json:"rows"`
	Size       *int64     `json:"size"`
	FileName   *string    `json:"file_name"`
	Error      *string    `json:"error"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	Expired    bool       `json:"expired"`
}

func newV1Export(e *admit.Export) v1Export {
	out := v1Export{ID: e.ID, EventID: e.EventID, Kind: e.Kind, Format: e.Format, Status: string(e.Status), Rows: e.Rows,
		CreatedAt: e.CreatedAt.UTC(), FinishedAt: wire.TimePtr(e.FinishedAt), ExpiresAt: wire.TimePtr(e.ExpiresAt),
		Expired: e.Status == admit.ExportDone && e.Expired}
	if e.Status == admit.ExportDone {
		size, name := e.Size, e.FileName
		out.Size, out.FileName = &size, &name
	}
	if e.Status == admit.ExportFailed && e.Error != "" {
		msg := e.Error
		out.Error = &msg
	}
	return out
}

// v1ExportCreate asks for an export of an event's orders, attendees or
// check-ins as CSV or Excel; the worker builds the file. 202 with the new
// export; the same export already queued or running is answered (200)
// instead of building a second file.
func (h *Handler) v1ExportCreate(c echo.Context) error {
	var req struct {
		EventID int64  `json:"event_id"`
		Kind    string `json:"kind"`
		Format  string `json:"format"`
	}
	if err := api.Decode(c, &req, api.Rules{Strict: true}); err != nil {
		return err
	}
	var p admit.Problems
	if req.EventID <= 0 {
		p.Add("event_id", "Send the id of one of your events.")
	}
	switch req.Kind {
	case admit.ExportOrders, admit.ExportAttendees, admit.ExportCheckIns:
	default:
		p.Add("kind", "kind must be orders, attendees or checkins.")
	}
	switch req.Format {
	case admit.ExportCSV, admit.ExportXLSX:
	default:
		p.Add("format", "format must be csv or xlsx.")
	}
	if err := p.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	orgID := v1Token(c).OrganizationID
	ex := &admit.Export{OrganizationID: orgID, EventID: req.EventID, Kind: req.Kind, Format: req.Format}
	existing, err := h.v1.Store.CreateExport(ctx, ex)
	var invalid *admit.Error
	if errors.As(err, &invalid) && invalid.Code == admit.EINVALID && invalid.Field == "event" {
		return admit.FieldError("event_id", "No such event.")
	} else if err != nil {
		return err
	}
	status := http.StatusAccepted
	if existing {
		status = http.StatusOK
	} else {
		h.v1Audit(c, "export.requested", "export:"+strconv.FormatInt(ex.ID, 10), ex.Kind+" ("+ex.Format+") of "+ex.EventName)
	}
	found, err := h.v1.Store.FindExport(ctx, orgID, ex.ID)
	if err != nil {
		return err
	}
	return c.JSON(status, newV1Export(found))
}

func (h *Handler) v1FindExport(c echo.Context) (*admit.Export, error) {
	id, err := v1ID(c, "export", "Export")
	if err != nil {
		return nil, err
	}
	return h.v1.Store.FindExport(c.Request().Context(), v1Token(c).OrganizationID, id)
}

// v1ExportShow returns the export: its status, rows written and, once
// done, the file's size and until when it can be downloaded.
func (h *Handler) v1ExportShow(c echo.Context) error {
	ex, err := h.v1FindExport(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newV1Export(ex))
}

// v1ExportDownload streams the export's file, as the console does: 409
// while it is being built, 410 once its link has expired.
func (h *Handler) v1ExportDownload(c echo.Context) error {
	ex, err := h.v1FindExport(c)
	if err != nil {
		return err
	}
	d, err := jobs.OpenDownload(c.Request().Context(), h.v1.ExportFiles, ex)
	if err != nil {
		return err
	}
	defer d.File.Close()
	h.v1Audit(c, "export.downloaded", "export:"+strconv.FormatInt(ex.ID, 10), ex.FileName)
	return d.Send(c.Response())
}
