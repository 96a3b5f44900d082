package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
	v1 "github.com/admithq/admit/internal/api/v1"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/s3/s3test"
	client "github.com/admithq/admit/pkg/admit"
)

func TestV1Exports(t *testing.T) {
	st, prefix := s3test.MustStore(t)
	files := &jobs.S3Storage{Store: st, Prefix: prefix + jobs.ExportPrefix}
	f := mustV1Fixture(t, func(o *v1.Options) { o.ExportFiles = files })
	ctx := context.Background()
	a := f.a
	f.mustOrder(t, a, "")
	write, read := f.client(a, "write"), f.client(a, "read")

	ex, err := write.Exports().Create(ctx, client.ExportCreateParams{EventID: a.event.ID, Kind: client.ExportAttendees, Format: client.ExportCSV})
	if err != nil {
		t.Fatal(err)
	}
	if ex.ID == 0 || ex.EventID != a.event.ID || ex.Status != "queued" || ex.Kind != "attendees" || ex.Format != "csv" || ex.Size != nil {
		t.Fatalf("created %+v, want a queued attendees CSV", ex)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'export.build' AND organization_id = ?`, a.org.ID); n != 1 {
		t.Errorf("%d export.build rows in the outbox, want 1", n)
	}
	again, err := write.Exports().Create(ctx, client.ExportCreateParams{EventID: a.event.ID, Kind: client.ExportAttendees, Format: client.ExportCSV})
	if err != nil || again.ID != ex.ID {
		t.Errorf("the same export again: %+v, %v; want export %d", again, err, ex.ID)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'export.build' AND organization_id = ?`, a.org.ID); n != 1 {
		t.Errorf("%d export.build rows after a repeat, want 1", n)
	}
	_, err = read.Exports().Download(ctx, ex.ID)
	mustCode(t, err, http.StatusConflict, admit.ECONFLICT, "")

	exporter := &jobs.Exporter{Store: f.db, Storage: files, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TempDir: t.TempDir()}
	if _, err := exporter.Build(ctx, a.org.ID, ex.ID); err != nil {
		t.Fatal(err)
	}
	got, err := read.Exports().Get(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "done" || got.Rows != 1 || got.Size == nil || *got.Size == 0 || got.ExpiresAt == nil || got.Expired {
		t.Fatalf("built export %+v, want done with one row", got)
	}
	file, err := read.Exports().Download(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(file)
	file.Close()
	if err != nil || int64(len(body)) != *got.Size || !strings.Contains(string(body), "Ada") {
		t.Errorf("downloaded %d bytes (%v), want %d naming the attendee:\n%s", len(body), err, *got.Size, body)
	}
	if !f.audited(t, a, "export.downloaded") || !f.audited(t, a, "export.requested") {
		t.Error("the export is not in the audit log")
	}

	if _, err := f.db.SQL().Exec(`UPDATE exports SET expires_at = NOW(6) - INTERVAL 1 HOUR WHERE id = ?`, ex.ID); err != nil {
		t.Fatal(err)
	}
	_, err = read.Exports().Download(ctx, ex.ID)
	mustCode(t, err, http.StatusGone, admit.EEXPIRED, "")
	if got, err := read.Exports().Get(ctx, ex.ID); err != nil || !got.Expired {
		t.Errorf("expired export %+v, %v: want expired", got, err)
	}
}

func TestV1ExportRefusals(t *testing.T) {
	f := mustV1Fixture(t)
	ctx := context.Background()
	a, b := f.a, f.b
	ex, err := f.client(a, "write").Exports().Create(ctx, client.ExportCreateParams{EventID: a.event.ID, Kind: client.ExportOrders, Format: client.ExportXLSX})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		params client.ExportCreateParams
		field  string
	}{
		{"unknown kind", client.ExportCreateParams{EventID: a.event.ID, Kind: "payments", Format: client.ExportCSV}, "kind"},
		{"unknown format", client.ExportCreateParams{EventID: a.event.ID, Kind: client.ExportOrders, Format: "pdf"}, "format"},
		{"no event", client.ExportCreateParams{Kind: client.ExportOrders, Format: client.ExportCSV}, "event_id"},
		{"another organization's event", client.ExportCreateParams{EventID: b.event.ID, Kind: client.ExportOrders, Format: client.ExportCSV}, "event_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client(a, "write").Exports().Create(ctx, tc.params)
			mustCode(t, err, http.StatusUnprocessableEntity, admit.EINVALID, tc.field)
		})
	}
	_, err = f.client(a, "read").Exports().Create(ctx, client.ExportCreateParams{EventID: a.event.ID, Kind: client.ExportOrders, Format: client.ExportCSV})
	mustCode(t, err, http.StatusForbidden, admit.EFORBIDDEN, "")
	_, err = f.client(b, "all").Exports().Get(ctx, ex.ID)
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	_, err = f.client(b, "all").Exports().Download(ctx, ex.ID)
	mustCode(t, err, http.StatusNotFound, admit.ENOTFOUND, "")
	_, err = f.client(a, "checkin").Exports().Get(ctx, ex.ID)
	mustCode(t, err, http.StatusForbidden, admit.EFORBIDDEN, "")
	if n := f.count(t, `SELECT COUNT(*) FROM exports`); n != 1 {
		t.Errorf("%d exports after refused requests, want 1", n)
	}
}
