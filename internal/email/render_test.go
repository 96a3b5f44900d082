package email_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/email"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func fixtureOrder() (*admit.Event, *admit.Order) {
	ev := &admit.Event{ID: 7, Name: "Gophers <Summit> & Friends", TimeZone: "Europe/Berlin", Venue: "Kulturbrauerei",
		Address: "Schönhauser Allee 36, Berlin", StartsAt: time.Date(2027, 3, 15, 8, 0, 0, 0, time.UTC),
		EndsAt: time.Date(2027, 3, 16, 17, 0, 0, 0, time.UTC), Currency: "EUR", ContactEmail: "hello@example.com"}
	o := &admit.Order{ID: 42, Reference: "K7Q-M3XP", AccessToken: "tok", Status: admit.OrderPaid, BuyerName: "Ada <script>",
		BuyerEmail: "ada@example.com", Total: 25800, Currency: "EUR",
		Lines: []admit.OrderLine{{Name: "Standard", Quantity: 2, UnitPrice: 12900}},
		Tickets: []admit.Ticket{
			{ID: 1, TicketType: "Standard", Code: "aaaabbbbccccddddeeee", AttendeeName: "Ada", Status: admit.TicketValid},
			{ID: 2, TicketType: "Standard", Code: "ffffgggghhhhiiiijjjj", AttendeeName: "Grace", Status: admit.TicketValid},
		}}
	return ev, o
}

// TestEmailsGolden renders every email kind with fixed data and compares it
// with testdata/KIND.{txt,html}; go test -update rewrites them.
func TestEmailsGolden(t *testing.T) {
	r, err := email.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	ev, o := fixtureOrder()
	order := email.OrderData{Organization: "Demo Events", Event: ev, When: "Monday 15 March 2027, 09:00 (Europe/Berlin)", Order: o,
		OrderURL: "https://tickets.example.com/o/K7Q-M3XP?token=tok", TicketsURL: "https://tickets.example.com/o/K7Q-M3XP/tickets?token=tok",
		Total: "€258.00", Instructions: "Pay by bank transfer to DE00 0000.", Refund: "€129.00", RefundCount: 1}
	withPayment := order
	withPayment.Payment = admit.PaymentDetails{Payee: "Demo Events e.V.", IBAN: "DE89 3704 0044 0532 0130 00", BIC: "COBADEFFXXX",
		Text: "Use the reference as the transfer's purpose.", Due: "Friday 12 March 2027, 18:00 (Europe/Berlin)"}
	order.Payment.General = order.Instructions
	link := email.LinkData{Organization: "Demo Events", Name: "Grace Hopper", Role: "admin", URL: "https://tickets.example.com/console/x/abc"}
	for _, tt := range []struct {
		kind string
		data any
	}{
		{"order_confirmation", order},
		{"order_placed", order},
		{"order_refunded", order},
		{"order_cancelled", order},
		{"payment_reminder", withPayment},
		{"order_placed_instructions", withPayment},
		{"password_reset", link},
		{"signup_confirm", email.LinkData{Name: "Grace <Hopper>", URL: "https://tickets.example.com/console/signup/confirm/abc"}},
		{"signup_exists", email.LinkData{Name: "Grace <Hopper>", URL: "https://tickets.example.com"}},
		{"team_invitation", link},
		{"waitlist_offer", email.OfferData{Organization: "Demo Events", Name: "Ada", Event: "Gophers Summit", TicketType: "Standard",
			URL: "https://tickets.example.com/checkout/abc", Until: "Wednesday 17 March 2027, 18:00 (Europe/Berlin)"}},
		{"webhook_failing", email.WebhookFailingData{Organization: "Demo Events", Name: "Grace Hopper", URL: "https://crm.example.com/hooks?a=1&b=<2>",
			ConsoleURL: "https://tickets.example.com/console/demo/webhooks/3", EventType: "order.paid", MessageID: "evt_42", LastResult: "HTTP 500"}},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			kind, _, _ := strings.Cut(tt.kind, "_instructions")
			subject, text, html, err := r.Render(kind, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(html, "<script>") || strings.Contains(html, "<Summit>") {
				t.Error("HTML email renders markup from data unescaped")
			}
			checkGolden(t, tt.kind+".txt", "Subject: "+subject+"\n\n"+text)
			checkGolden(t, tt.kind+".html", html)
		})
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// TestMIME: the message parses back with its parts and attachments.
func TestMIME(t *testing.T) {
	m := email.Message{From: "Admit <tickets@example.com>", To: "ada@example.com", Subject: "Grüße €", Text: "hello",
		HTML: "<p>hello</p>", Attachments: []email.Attachment{{Name: "t.pdf", ContentType: "application/pdf", Data: bytes.Repeat([]byte{1}, 200)}}}
	raw, err := m.MIME()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_=E2=82=AC?=", "multipart/alternative", `filename="t.pdf"`, "text/html"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("MIME lacks %q", want)
		}
	}
	if _, err := (email.Message{From: "not an address", To: "x@example.com"}).MIME(); err == nil {
		t.Error("a bad sender address was accepted")
	}
}

// TestTicketsPDFQRCodes: each valid ticket's page draws exactly the QR code
// of its code (the modules the QR library computes for it), and a void
// ticket gets no page.
func TestTicketsPDFQRCodes(t *testing.T) {
	ev, o := fixtureOrder()
	o.Tickets = append(o.Tickets, admit.Ticket{ID: 3, TicketType: "Standard", Code: "voidvoidvoidvoidvoid", AttendeeName: "Gone", Status: admit.TicketVoid})
	pdf, err := email.TicketsPDF(ev, o, "Monday 15 March 2027")
	if err != nil {
		t.Fatal(err)
	}
	drawn := qrCodesIn(t, pdf)
	if len(drawn) != 2 {
		t.Fatalf("%d QR codes drawn, want one per valid ticket (2)", len(drawn))
	}
	for i, code := range []string{"aaaabbbbccccddddeeee", "ffffgggghhhhiiiijjjj"} {
		q, err := qrcode.New(code, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(q.Bitmap(), drawn[i]); diff != "" {
			t.Errorf("page %d: the QR code drawn is not %q's (-want +got):\n%s", i+1, code, diff)
		}
	}
}

// TestTicketsPDFConcurrent: the worker renders PDFs concurrently; each
// shows what it shows when rendered alone (run with -race).
func TestTicketsPDFConcurrent(t *testing.T) {
	ev, o := fixtureOrder()
	ev.Name = "Café Übersee – Grüße €"
	// The core fonts need Windows-1252.
	name := []byte("Caf\xe9 \xdcbersee \x96 Gr\xfc\xdfe \x80")
	alone, err := email.TicketsPDF(ev, o, "Montag")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(alone, name) {
		t.Fatal("the event name is not in Windows-1252")
	}
	want := qrCodesIn(t, alone)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pdf, err := email.TicketsPDF(ev, o, "Montag")
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Contains(pdf, name) || !cmp.Equal(qrCodesIn(t, pdf), want) {
				t.Error("a PDF rendered concurrently differs from one rendered alone")
			}
		}()
	}
	wg.Wait()
}

// qrCodesIn reads back the QR codes a tickets PDF draws: each is a block of
// "col row width 1 re" runs in module units, filled at once.
func qrCodesIn(t *testing.T, pdf []byte) [][][]bool {
	t.Helper()
	var codes [][][]bool
	for _, block := range strings.Split(string(pdf), " cm\n")[1:] {
		end := strings.Index(block, "f Q")
		if end < 0 {
			t.Fatal("a QR code's path is not filled")
		}
		var grid [][]bool
		for _, line := range strings.Split(strings.TrimSpace(block[:end]), "\n") {
			var col, row, width int
			if _, err := fmt.Sscanf(line, "%d %d %d 1 re", &col, &row, &width); err != nil {
				t.Fatalf("QR code run %q: %v", line, err)
			}
			for len(grid) <= row {
				grid = append(grid, nil)
			}
			for len(grid[row]) < col+width {
				grid[row] = append(grid[row], false)
			}
			for c := col; c < col+width; c++ {
				grid[row][c] = true
			}
		}
		// The quiet zone draws nothing: pad to the square the runs imply.
		size := len(grid) + 4
		for len(grid) < size {
			grid = append(grid, nil)
		}
		for r := range grid {
			for len(grid[r]) < size {
				grid[r] = append(grid[r], false)
			}
		}
		codes = append(codes, grid)
	}
	return codes
}

func TestTicketsPDFAndICS(t *testing.T) {
	ev, o := fixtureOrder()
	pdf, err := email.TicketsPDF(ev, o, "Monday 15 March 2027")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || bytes.Count(pdf, []byte("/Type /Page\n")) != 2 {
		t.Errorf("PDF: %d bytes, %d pages; want a PDF with one page per ticket", len(pdf), bytes.Count(pdf, []byte("/Type /Page\n")))
	}
	ics := string(email.EventICS(ev, "https://x"))
	for _, want := range []string{"DTSTART:20270315T080000Z", "DTEND:20270316T170000Z", `SUMMARY:Gophers <Summit> & Friends`, `LOCATION:Kulturbrauerei\, Schönhauser Allee 36\, Berlin`} {
		if !strings.Contains(ics, want) {
			t.Errorf("ICS lacks %q:\n%s", want, ics)
		}
	}
}

// BenchmarkTicketsPDF renders the PDF of a two-ticket order, as the worker
// does for every confirmation.
func BenchmarkTicketsPDF(b *testing.B) {
	ev, o := fixtureOrder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := email.TicketsPDF(ev, o, "Monday 15 March 2027"); err != nil {
			b.Fatal(err)
		}
	}
}
