package email

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/text/encoding/charmap"

	"github.com/admithq/admit/internal/admit"
)

// cp1252 translates UTF-8 text to the PDF core fonts' encoding,
// Windows-1252 (covers €, accents); other characters become '.'. It is
// safe for concurrent use, unlike the PDF library's translator, which
// shares one buffer between calls: the worker renders PDFs concurrently.
func cp1252(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			b = append(b, byte(r))
		} else if c, ok := charmap.Windows1252.EncodeRune(r); ok {
			b = append(b, c)
		} else {
			b = append(b, '.')
		}
	}
	return string(b)
}

// TicketsPDF renders one page per valid ticket of the order: event, date,
// venue, attendee, ticket type, code and its QR code.
//
// The QR code is drawn as vector squares rather than as an image: encoding
// a PNG of it, and the PDF parsing and compressing that image again, was
// most of the worker's CPU per confirmation; squares also print sharp at
// any size.
func TicketsPDF(ev *admit.Event, o *admit.Order, when string) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A5", "")
	pdf.SetTitle("Tickets "+o.Reference, true)
	pdf.SetCreator("Admit", true)
	// A ticket page is a few kilobytes; compressing it allocated a
	// megabyte-sized compressor per page, the PDF's largest cost.
	pdf.SetCompression(false)
	tr := cp1252
	// What every page of the event shows, translated once.
	name, date, place := tr(ev.Name), tr(when), ""
	if ev.Venue != "" {
		place = tr(strings.TrimSuffix(ev.Venue+", "+ev.Address, ", "))
	}
	for _, t := range o.Tickets {
		if t.Status != admit.TicketValid {
			continue
		}
		pdf.AddPage()
		pdf.SetFont("Helvetica", "B", 18)
		pdf.MultiCell(0, 9, name, "", "L", false)
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 6, date, "", "L", false)
		if place != "" {
			pdf.MultiCell(0, 6, place, "", "L", false)
		}
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "B", 14)
		pdf.MultiCell(0, 8, tr(t.AttendeeName), "", "L", false)
		pdf.SetFont("Helvetica", "", 12)
		pdf.MultiCell(0, 7, tr(t.TicketType), "", "L", false)
		if err := drawQR(pdf, t.QRContent(), 34, pdf.GetY()+6, 80); err != nil {
			return nil, err
		}
		pdf.SetY(pdf.GetY() + 90)
		pdf.SetFont("Courier", "B", 13)
		pdf.CellFormat(0, 8, t.Code, "", 1, "C", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(0, 6, "Order "+o.Reference, "", 1, "C", false, 0, "")
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drawQR draws the QR code of content, with its quiet zone, as a black on
// white square of side size (mm) with its top left corner at x, y. It
// writes the PDF operators itself: one rectangle per run of dark modules in
// a coordinate system where a module is one unit, filled as a single path
// (so viewers leave no light seam between rows), a few bytes per run.
func drawQR(pdf *fpdf.Fpdf, content string, x, y, size float64) error {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return err
	}
	bitmap := q.Bitmap()
	k := pdf.GetConversionRatio()
	_, pageHeight := pdf.GetPageSize()
	module := size / float64(len(bitmap)) * k
	var b strings.Builder
	// Module (col, row) is at (x + col, y + row) modules from the page's
	// top left; PDF space starts at the bottom left, in points.
	fmt.Fprintf(&b, "q 0 g %.4f 0 0 %.4f %.2f %.2f cm\n", module, -module, x*k, (pageHeight-y)*k)
	for row, line := range bitmap {
		for col := 0; col < len(line); {
			if !line[col] {
				col++
				continue
			}
			run := col
			for run < len(line) && line[run] {
				run++
			}
			fmt.Fprintf(&b, "%d %d %d 1 re\n", col, row, run-col)
			col = run
		}
	}
	b.WriteString("f Q")
	pdf.RawWriteStr(b.String())
	return nil
}

// EventICS returns an iCalendar entry for the event, so attendees can add
// it to their calendars.
func EventICS(ev *admit.Event, url string) []byte {
	end := ev.EndsAt
	if end.IsZero() {
		end = ev.StartsAt.Add(2 * time.Hour)
	}
	esc := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", "")
	stamp := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	location := strings.TrimSuffix(ev.Venue+", "+ev.Address, ", ")
	var b strings.Builder
	for _, line := range []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Admit//Tickets//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
		"BEGIN:VEVENT",
		fmt.Sprintf("UID:event-%d@admit", ev.ID),
		"DTSTAMP:" + stamp(time.Now()),
		"DTSTART:" + stamp(ev.StartsAt),
		"DTEND:" + stamp(end),
		"SUMMARY:" + esc.Replace(ev.Name),
		"LOCATION:" + esc.Replace(location),
		"URL:" + url,
		"END:VEVENT", "END:VCALENDAR",
	} {
		b.WriteString(line + "\r\n")
	}
	return []byte(b.String())
}
