package admit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// What an export holds, and its file format.
const (
	ExportOrders    = "orders"
	ExportAttendees = "attendees"
	ExportCheckIns  = "checkins"

	ExportCSV  = "csv"
	ExportXLSX = "xlsx"
)

// Export is an event's data prepared as a file by the server's worker.
type Export struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"event_id"`
	Kind    string `json:"kind"`
	Format  string `json:"format"`
	// Status is "queued", "running", "done" or "failed".
	Status string `json:"status"`
	// Rows written so far, or in the file once done.
	Rows       int        `json:"rows"`
	Size       *int64     `json:"size"`
	FileName   *string    `json:"file_name"`
	Error      *string    `json:"error"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	Expired    bool       `json:"expired"`
}

// ExportCreateParams ask for an export.
type ExportCreateParams struct {
	EventID int64  `json:"event_id"`
	Kind    string `json:"kind"`   // ExportOrders, ExportAttendees or ExportCheckIns
	Format  string `json:"format"` // ExportCSV or ExportXLSX
}

// ExportsService requests exports and downloads their files.
type ExportsService struct{ c *Client }

// Exports returns the service for exports.
func (c *Client) Exports() *ExportsService { return &ExportsService{c} }

// Create asks for an export; poll Get until its Status is "done". The same
// export already being prepared is returned instead of a second one.
func (s *ExportsService) Create(ctx context.Context, p ExportCreateParams, opts ...RequestOption) (*Export, error) {
	return call[Export](ctx, s.c, http.MethodPost, "/exports", nil, p, opts)
}

// Get returns the export id.
func (s *ExportsService) Get(ctx context.Context, id int64) (*Export, error) {
	path, err := idPath("/exports/%d", id)
	if err != nil {
		return nil, err
	}
	return call[Export](ctx, s.c, http.MethodGet, path, nil, nil, nil)
}

// Download opens the export's file; the caller closes it. An export not
// yet done is an *Error with status 409, an expired one 410.
func (s *ExportsService) Download(ctx context.Context, id int64) (io.ReadCloser, error) {
	path, err := idPath("/exports/%d/download", id)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.c.baseURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("admit: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.c.token)
	req.Header.Set("User-Agent", s.c.userAgent)
	resp, err := s.c.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admit: GET %s: %w", path, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, newError(resp, data)
	}
	return resp.Body, nil
}
