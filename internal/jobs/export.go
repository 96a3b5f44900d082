package jobs

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/s3"
)

// ExportStore is what building exports needs from storage.
type ExportStore interface {
	ClaimExport(ctx context.Context, orgID, id int64, staleAfter time.Duration) (*admit.Export, bool, error)
	ExportProgress(ctx context.Context, orgID, id int64, attempt, rows int) error
	CompleteExport(ctx context.Context, orgID, id int64, attempt int, f admit.ExportFile, keepFor time.Duration) (bool, error)
	FailExport(ctx context.Context, orgID, id int64, attempt int, cause string) error
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	ListQuestions(ctx context.Context, orgID, eventID int64) ([]*admit.Question, error)
	ExportOrders(ctx context.Context, orgID, eventID, afterID int64, limit int) ([]admit.ExportOrder, error)
	ExportAttendees(ctx context.Context, orgID, eventID, afterID int64, limit int) ([]admit.ExportAttendee, error)
	ExportCheckIns(ctx context.Context, orgID, eventID, afterID int64, limit int) ([]admit.ExportCheckIn, error)
}

// ExportStorage keeps export files where every app server can read them.
type ExportStorage interface {
	// Put stores the whole of file (whatever its offset) under key,
	// replacing what was there; a reader never sees a partial file.
	Put(ctx context.Context, key string, file *os.File) error
	// Open returns the file stored under key, or an error matching
	// fs.ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Defaults of an Exporter.
const (
	ExportBatchSize = 1000
	ExportKeepFor   = 7 * 24 * time.Hour
	// exportStaleAfter is how long a running export's heartbeat may be
	// silent before another attempt takes it over: much longer than a batch
	// or the final write of a large file takes.
	exportStaleAfter = 5 * time.Minute
)

// Exporter builds the exports requested from the console (outbox kind
// export.build): it reads the event's rows page by page in id order and
// writes them as they come, so memory does not grow with the export.
type Exporter struct {
	Store   ExportStore
	Storage ExportStorage
	Logger  *slog.Logger
	// BatchSize is the number of rows read per query (ExportBatchSize).
	BatchSize int
	// KeepFor is how long the download link works (ExportKeepFor).
	KeepFor time.Duration
	// TempDir holds files while they are written (os.TempDir()).
	TempDir string
}

// Build builds the organization's export once and reports what it stored.
// A done export is skipped, and a second build of the same export writes the
// same file under the same key, so running it twice has the effect of once.
func (e *Exporter) Build(ctx context.Context, orgID, exportID int64) (string, error) {
	if e == nil {
		return "", errors.New("this worker has no exporter")
	}
	ex, claimed, err := e.Store.ClaimExport(ctx, orgID, exportID, exportStaleAfter)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		return "export not found", nil // its event was deleted
	} else if err != nil {
		return "", err
	}
	if !claimed {
		if ex.Status == admit.ExportDone {
			return fmt.Sprintf("export %d already built", exportID), nil
		}
		return "", fmt.Errorf("export %d is being built by another worker", exportID)
	}
	file, err := e.build(ctx, ex)
	if err != nil {
		// ctx may be what failed: record the failure regardless.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if ferr := e.Store.FailExport(fctx, orgID, exportID, ex.Attempt, err.Error()); ferr != nil {
			e.Logger.Error("recording a failed export", "export", exportID, "err", ferr)
		}
		return "", fmt.Errorf("export %d: %w", exportID, err)
	}
	keepFor := e.KeepFor
	if keepFor == 0 {
		keepFor = ExportKeepFor
	}
	done, err := e.Store.CompleteExport(ctx, orgID, exportID, ex.Attempt, file, keepFor)
	if err != nil {
		return "", err
	}
	if !done {
		return fmt.Sprintf("export %d was taken over by a newer attempt", exportID), nil
	}
	return fmt.Sprintf("export %d: %d rows, %d bytes", exportID, file.Rows, file.Size), nil
}

func (e *Exporter) build(ctx context.Context, ex *admit.Export) (admit.ExportFile, error) {
	var out admit.ExportFile
	ev, err := e.Store.FindEvent(ctx, ex.OrganizationID, ex.EventID)
	if err != nil {
		return out, err
	}
	src, err := e.source(ctx, ex, ev)
	if err != nil {
		return out, err
	}
	tmp, err := os.CreateTemp(e.TempDir, "admit-export-*")
	if err != nil {
		return out, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var w tableWriter
	if ex.Format == admit.ExportXLSX {
		w, err = newXLSXWriter(tmp, src.sheet, e.TempDir)
	} else {
		w, err = newCSVWriter(tmp)
	}
	if err != nil {
		return out, err
	}
	if err := w.WriteHeader(src.header); err != nil {
		return out, err
	}
	batch := e.BatchSize
	if batch <= 0 {
		batch = ExportBatchSize
	}
	var after int64
	for {
		n, last, err := src.page(ctx, after, batch, w)
		if err != nil {
			return out, err
		}
		out.Rows += n
		if n > 0 {
			if err := e.Store.ExportProgress(ctx, ex.OrganizationID, ex.ID, ex.Attempt, out.Rows); err != nil {
				return out, err
			}
		}
		if n < batch {
			break
		}
		after = last
	}
	if err := w.Close(); err != nil {
		return out, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		return out, err
	}
	out.Size = fi.Size()
	out.Key = fmt.Sprintf("%d/%d-%s.%s", ex.OrganizationID, ex.ID, ex.Kind, ex.Format)
	out.Name = fmt.Sprintf("%s-%s-%s.%s", ev.Slug, ex.Kind, ex.CreatedAt.In(ev.Location()).Format("2006-01-02"), ex.Format)
	if err := e.Storage.Put(ctx, out.Key, tmp); err != nil {
		return out, fmt.Errorf("storing the file: %w", err)
	}
	return out, nil
}

// tableSource is one kind of export: its header and how to write the page
// of rows after a given id.
type tableSource struct {
	sheet  string
	header []string
	// page writes up to limit rows with ids above after and returns how many
	// it wrote and the last id.
	page func(ctx context.Context, after int64, limit int, w tableWriter) (n int, last int64, err error)
}

// money is an amount in minor units of a currency with exp decimals.
type money struct {
	amount int64
	exp    int
}

func (e *Exporter) source(ctx context.Context, ex *admit.Export, ev *admit.Event) (*tableSource, error) {
	org, loc := ex.OrganizationID, ev.Location()
	at := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.In(loc).Truncate(time.Second)
	}
	zone := " (" + ev.TimeZone + ")"
	switch ex.Kind {
	case admit.ExportOrders:
		return &tableSource{sheet: "Orders",
			header: []string{"Order", "Status", "Buyer name", "Buyer email", "Tickets", "Items", "Total", "Discount", "Discount code",
				"Refunded", "Currency", "Payment method", "Payment reference", "Placed at" + zone, "Paid at" + zone},
			page: func(ctx context.Context, after int64, limit int, w tableWriter) (int, int64, error) {
				list, err := e.Store.ExportOrders(ctx, org, ev.ID, after, limit)
				for _, o := range list {
					exp := admit.CurrencyExponent(o.Currency)
					tickets, items := 0, make([]string, 0, len(o.Lines))
					for _, l := range o.Lines {
						tickets += l.Quantity
						items = append(items, strconv.Itoa(l.Quantity)+" × "+l.Name)
					}
					if err := w.WriteRow([]any{o.Reference, string(o.Status), o.BuyerName, o.BuyerEmail, tickets, strings.Join(items, ", "),
						money{o.Total, exp}, money{o.DiscountTotal, exp}, o.DiscountCode, money{o.RefundedTotal, exp}, o.Currency,
						o.PaymentProvider, o.PaymentRef, at(o.CreatedAt), at(o.PaidAt)}); err != nil {
						return 0, 0, err
					}
					after = o.ID
				}
				return len(list), after, err
			}}, nil
	case admit.ExportAttendees:
		questions, err := e.Store.ListQuestions(ctx, org, ev.ID)
		if err != nil {
			return nil, err
		}
		header := []string{"Ticket code", "Ticket type", "Attendee name", "Attendee email", "Ticket status", "Order", "Order status",
			"Buyer name", "Buyer email", "Checked in at" + zone}
		for _, q := range questions {
			header = append(header, q.Label)
		}
		return &tableSource{sheet: "Attendees", header: header,
			page: func(ctx context.Context, after int64, limit int, w tableWriter) (int, int64, error) {
				list, err := e.Store.ExportAttendees(ctx, org, ev.ID, after, limit)
				for _, a := range list {
					row := []any{a.Code, a.TicketType, a.AttendeeName, a.AttendeeEmail, string(a.TicketStatus), a.OrderReference,
						string(a.OrderStatus), a.BuyerName, a.BuyerEmail, at(a.CheckedInAt)}
					for _, q := range questions {
						row = append(row, a.Answers[q.ID])
					}
					if err := w.WriteRow(row); err != nil {
						return 0, 0, err
					}
					after = a.TicketID
				}
				return len(list), after, err
			}}, nil
	case admit.ExportCheckIns:
		return &tableSource{sheet: "Check-ins",
			header: []string{"Checked in at" + zone, "List", "Ticket code", "Ticket type", "Attendee name", "Order", "Checked in by", "Undone at" + zone},
			page: func(ctx context.Context, after int64, limit int, w tableWriter) (int, int64, error) {
				list, err := e.Store.ExportCheckIns(ctx, org, ev.ID, after, limit)
				for _, c := range list {
					if err := w.WriteRow([]any{at(c.CreatedAt), c.List, c.Code, c.TicketType, c.AttendeeName, c.OrderReference,
						c.CheckedInBy, at(c.UndoneAt)}); err != nil {
						return 0, 0, err
					}
					after = c.ID
				}
				return len(list), after, err
			}}, nil
	}
	return nil, fmt.Errorf("unknown export kind %q", ex.Kind)
}

// tableWriter writes a header and rows of cells: strings, ints, money and
// times (nil for an empty cell).
type tableWriter interface {
	WriteHeader(names []string) error
	WriteRow(cells []any) error
	Close() error
}

// Neutralize defuses a cell that a spreadsheet would read as a formula
// (=, +, -, @, or a leading tab or carriage return) by prefixing a quote:
// an attendee named =HYPERLINK(...) stays a name.
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// decimal renders an amount in minor units with exp decimals: 1250, 2 is
// "12.50".
func decimal(amount int64, exp int) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	s := strconv.FormatInt(amount, 10)
	if exp > 0 {
		for len(s) <= exp {
			s = "0" + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// exportTimeLayout is how both formats show times, in the event's zone.
const exportTimeLayout = "2006-01-02 15:04:05"

type csvWriter struct {
	w *csv.Writer
}

func newCSVWriter(out io.Writer) (*csvWriter, error) {
	// A byte order mark makes spreadsheet programs read the file as UTF-8.
	if _, err := io.WriteString(out, "\uFEFF"); err != nil {
		return nil, err
	}
	w := csv.NewWriter(out)
	w.UseCRLF = true
	return &csvWriter{w: w}, nil
}

func (c *csvWriter) WriteHeader(names []string) error {
	return c.WriteRow(anySlice(names))
}

func (c *csvWriter) WriteRow(cells []any) error {
	record := make([]string, len(cells))
	for i, v := range cells {
		switch v := v.(type) {
		case nil:
		case string:
			record[i] = Neutralize(v)
		case int:
			record[i] = strconv.Itoa(v)
		case money:
			record[i] = decimal(v.amount, v.exp)
		case time.Time:
			record[i] = v.Format(exportTimeLayout)
		default:
			return fmt.Errorf("export cell of type %T", v)
		}
	}
	return c.w.Write(record)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

type xlsxWriter struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	zip    *zip.Writer
	row    int
	header int
	date   int
	money  map[int]int // style per number of decimals
}

// newXLSXWriter starts a workbook with one sheet. The stream writer keeps a
// bounded buffer and spills rows to a file in tempDir; the zip is written
// straight to out rather than assembled in memory first.
func newXLSXWriter(out io.Writer, sheet, tempDir string) (*xlsxWriter, error) {
	x := &xlsxWriter{f: excelize.NewFile(excelize.Options{TmpDir: tempDir}), money: map[int]int{}}
	x.zip = zip.NewWriter(out)
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return x.zip })
	if err := x.f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	var err error
	if x.header, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	layout := "yyyy-mm-dd hh:mm:ss"
	if x.date, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &layout}); err != nil {
		return nil, err
	}
	if x.sw, err = x.f.NewStreamWriter(sheet); err != nil {
		return nil, err
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) WriteHeader(names []string) error {
	cells := make([]any, len(names))
	for i, n := range names {
		cells[i] = excelize.Cell{StyleID: x.header, Value: Neutralize(n)}
	}
	return x.setRow(cells)
}

func (x *xlsxWriter) WriteRow(cells []any) error {
	values := make([]any, len(cells))
	for i, v := range cells {
		switch v := v.(type) {
		case nil:
		case string:
			values[i] = Neutralize(v)
		case int:
			values[i] = v
		case money:
			style, err := x.moneyStyle(v.exp)
			if err != nil {
				return err
			}
			// A number, so that the spreadsheet can add it up; the style
			// shows it with the currency's decimals.
			f, _ := strconv.ParseFloat(decimal(v.amount, v.exp), 64)
			values[i] = excelize.Cell{StyleID: style, Value: f}
		case time.Time:
			values[i] = excelize.Cell{StyleID: x.date, Value: v}
		default:
			return fmt.Errorf("export cell of type %T", v)
		}
	}
	return x.setRow(values)
}

func (x *xlsxWriter) setRow(values []any) error {
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, values)
}

func (x *xlsxWriter) moneyStyle(exp int) (int, error) {
	if s, ok := x.money[exp]; ok {
		return s, nil
	}
	layout := "0"
	if exp > 0 {
		layout += "." + strings.Repeat("0", exp)
	}
	s, err := x.f.NewStyle(&excelize.Style{CustomNumFmt: &layout})
	x.money[exp] = s
	return s, err
}

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	// The zip writer set above receives the workbook; the buffer that
	// WriteToBuffer returns stays empty.
	if _, err := x.f.WriteToBuffer(); err != nil {
		return err
	}
	return nil
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// S3Storage keeps export files in the S3 bucket that backups share, under
// exports/: every app server and worker reads and writes the same place,
// and S3 makes an object visible only once it is complete.
type S3Storage struct {
	Store *s3.Store
	// Prefix is put before every key; empty: ExportPrefix.
	Prefix string
}

// ExportPrefix keeps exports apart from the bucket's backups.
const ExportPrefix = "exports/"

func (s *S3Storage) key(key string) string {
	if s.Prefix == "" {
		return ExportPrefix + key
	}
	return s.Prefix + key
}

// Put uploads the whole of file, whatever its offset.
func (s *S3Storage) Put(ctx context.Context, key string, file *os.File) error {
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	return s.Store.Put(ctx, s.key(key), io.NewSectionReader(file, 0, fi.Size()), fi.Size())
}

// Open returns the object's body, or an error matching fs.ErrNotExist.
func (s *S3Storage) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.Store.Open(ctx, s.key(key))
}
