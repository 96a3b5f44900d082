package email

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/admithq/admit/internal/admit"
)

// TicketsPDF renders one page per valid ticket of the order: event, date,
// venue, attendee, ticket type, code and its QR code.
func TicketsPDF(ev *admit.Event, o *admit.Order, when string) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A5", "")
	pdf.SetTitle("Tickets "+o.Reference, true)
	pdf.SetCreator("Admit", true)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252: covers €, accents
	for _, t := range o.Tickets {
		if t.Status != admit.TicketValid {
			continue
		}
		pdf.AddPage()
		pdf.SetFont("Helvetica", "B", 18)
		pdf.MultiCell(0, 9, tr(ev.Name), "", "L", false)
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 6, tr(when), "", "L", false)
		if ev.Venue != "" {
			pdf.MultiCell(0, 6, tr(strings.TrimSuffix(ev.Venue+", "+ev.Address, ", ")), "", "L", false)
		}
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "B", 14)
		pdf.MultiCell(0, 8, tr(t.AttendeeName), "", "L", false)
		pdf.SetFont("Helvetica", "", 12)
		pdf.MultiCell(0, 7, tr(t.TicketType), "", "L", false)
		png, err := qrcode.Encode(t.Code, qrcode.Medium, 512)
		if err != nil {
			return nil, err
		}
		name := "qr-" + t.Code
		pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
		pdf.ImageOptions(name, 34, pdf.GetY()+6, 80, 80, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
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
