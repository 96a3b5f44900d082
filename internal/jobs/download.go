package jobs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"

	"github.com/admithq/admit/internal/admit"
)

// ExportOpener opens a stored export file (ExportStorage).
type ExportOpener interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Download is a finished export's file, opened to be sent.
type Download struct {
	File        io.ReadCloser
	Name        string
	ContentType string
	Size        int64 // -1 when the storage does not say
}

// OpenDownload opens ex's file for its organizer, from the console or the
// API alike: only a finished export, only while its link lasts, and only
// while its file is still stored. files is nil on a server that cannot
// reach the stored files. The caller closes File.
func OpenDownload(ctx context.Context, files ExportOpener, ex *admit.Export) (*Download, error) {
	switch {
	case ex.Status != admit.ExportDone:
		return nil, admit.Errorf(admit.ECONFLICT, "This export is not ready yet.")
	case ex.Expired:
		return nil, admit.Errorf(admit.EEXPIRED, "This download link has expired. Request the export again for current data.")
	case files == nil:
		return nil, admit.Errorf(admit.EUNAVAILABLE, "Exports cannot be downloaded from this server.")
	}
	file, err := files.Open(ctx, ex.FileKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, admit.Errorf(admit.EEXPIRED, "This export's file is no longer available. Request the export again.")
	} else if err != nil {
		return nil, err
	}
	d := &Download{File: file, Name: ex.FileName, ContentType: "text/csv; charset=utf-8", Size: -1}
	if ex.Format == admit.ExportXLSX {
		d.ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if st, ok := file.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			d.Size = fi.Size()
		}
	}
	return d, nil
}

// Send writes the file as an attachment that no cache keeps (it holds
// attendees' personal data) and no browser sniffs into something else.
func (d *Download) Send(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	if d.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	}
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err := io.Copy(w, d.File)
	return err
}
