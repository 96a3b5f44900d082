package console

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// ticketTypeForm is the ticket type form as the organizer typed it.
type ticketTypeForm struct {
	Name, Description, Price, Quantity string
	SalesStart, SalesEnd               string
	MinPerOrder, MaxPerOrder           string
}

type ticketTypeFormPage struct {
	Base     basePage
	Event    *admit.Event
	Type     *admit.TicketType // nil for a new ticket type
	Form     ticketTypeForm
	Taken    int // sold or held: the lowest quantity allowed
	Problems admit.Problems
}

func readTicketTypeForm(c echo.Context) ticketTypeForm {
	return ticketTypeForm{
		Name:        strings.TrimSpace(c.FormValue("name")),
		Description: strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n")),
		Price:       strings.TrimSpace(c.FormValue("price")),
		Quantity:    strings.TrimSpace(c.FormValue("quantity")),
		SalesStart:  strings.TrimSpace(c.FormValue("sales_start")),
		SalesEnd:    strings.TrimSpace(c.FormValue("sales_end")),
		MinPerOrder: strings.TrimSpace(c.FormValue("min_per_order")),
		MaxPerOrder: strings.TrimSpace(c.FormValue("max_per_order")),
	}
}

// ticketTypeFormOf fills the form with a stored ticket type of ev.
func ticketTypeFormOf(t *admit.TicketType, ev *admit.Event) ticketTypeForm {
	loc := ev.Location()
	return ticketTypeForm{Name: t.Name, Description: t.Description, Price: ticketTypeFormatPrice(t.Price, ev.Currency),
		Quantity: strconv.Itoa(t.Quantity), SalesStart: eventFormatLocal(t.SalesStart, loc), SalesEnd: eventFormatLocal(t.SalesEnd, loc),
		MinPerOrder: strconv.Itoa(t.MinPerOrder), MaxPerOrder: strconv.Itoa(t.MaxPerOrder)}
}

// newTicketTypeForm is the form of a new ticket type.
func newTicketTypeForm() ticketTypeForm {
	return ticketTypeForm{MinPerOrder: "1", MaxPerOrder: "10"}
}

// apply copies the form onto t, reading the price in ev's currency and the
// sale window in ev's time zone, and returns every problem.
func (f ticketTypeForm) apply(t *admit.TicketType, ev *admit.Event) admit.Problems {
	var p admit.Problems
	t.Name, t.Description = f.Name, f.Description
	price, problem := ticketTypeParsePrice(f.Price, ev.Currency)
	if problem != "" {
		p.Add("price", problem)
	}
	t.Price = price
	ints := []struct {
		field, text, empty string
		into               *int
	}{
		{"quantity", f.Quantity, "Enter how many tickets of this type there are.", &t.Quantity},
		{"min_per_order", f.MinPerOrder, "Enter the fewest tickets of this type an order may have.", &t.MinPerOrder},
		{"max_per_order", f.MaxPerOrder, "Enter the most tickets of this type an order may have.", &t.MaxPerOrder},
	}
	for _, n := range ints {
		v, err := strconv.Atoi(n.text)
		switch {
		case n.text == "":
			p.Add(n.field, n.empty)
		case err != nil:
			p.Add(n.field, "Enter a whole number such as 100.")
		}
		*n.into = v
	}
	loc := ev.Location()
	var ok bool
	if t.SalesStart, ok = eventParseLocal(f.SalesStart, loc); !ok {
		p.Add("sales_start", "Enter a date and time such as 2027-01-15T10:00, or leave it empty.")
	}
	if t.SalesEnd, ok = eventParseLocal(f.SalesEnd, loc); !ok {
		p.Add("sales_end", "Enter a date and time such as 2027-03-14T23:59, or leave it empty.")
	}
	return eventMergeProblems(p, t.ValidateDetails())
}

// ticketTypeParsePrice reads a price typed in the currency's major unit
// ("129.00", "129", "0.5" in EUR; "5000" in JPY) and returns it in minor
// units, or a problem to show; a decimal comma ("12,50") is read as a
// point. The digits are split on the decimal point
// and counted, never read as a float, so every amount is exact.
func ticketTypeParsePrice(s, currency string) (int64, string) {
	exp := admit.CurrencyExponent(currency)
	example := "Enter an amount such as 129.00."
	if exp == 0 {
		example = "Enter a whole amount such as 5000."
	}
	if s == "" {
		return 0, "Enter a price; 0 makes the ticket free."
	}
	if strings.HasPrefix(s, "-") {
		return 0, "Price cannot be negative."
	}
	// Much of Europe writes "12,50": a single comma before one or two
	// digits, with no point, is that decimal comma. "1,250" could be a
	// thousands separator, so it is refused rather than guessed at.
	if whole, frac, ok := strings.Cut(s, ","); ok && !strings.ContainsAny(s, ".") && !strings.Contains(frac, ",") {
		if exp > 0 && len(frac) >= 1 && len(frac) <= exp {
			s = whole + "." + frac
		} else if ticketTypeDigits(whole) && ticketTypeDigits(frac) {
			return 0, "Leave out the thousands separator: " + example[strings.LastIndex(example, " ")+1:]
		}
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if !ticketTypeDigits(whole) || hasPoint && !ticketTypeDigits(frac) {
		return 0, example
	}
	switch {
	case hasPoint && exp == 0:
		return 0, currency + " has no minor unit: " + strings.ToLower(example[:1]) + example[1:]
	case len(frac) > exp:
		return 0, "Use at most " + strconv.Itoa(exp) + " decimal places."
	case len(strings.TrimLeft(whole, "0")) > 12:
		return 0, "Price is too large."
	}
	amount, err := strconv.ParseInt(whole+frac+strings.Repeat("0", exp-len(frac)), 10, 64)
	if err != nil {
		return 0, example
	}
	return amount, ""
}

func ticketTypeDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ticketTypeFormatPrice writes minor units as the form's decimal text,
// without a currency symbol: 12900 EUR is "129.00".
func ticketTypeFormatPrice(amount int64, currency string) string {
	exp := admit.CurrencyExponent(currency)
	s := strconv.FormatInt(amount, 10)
	if exp == 0 {
		return s
	}
	for len(s) <= exp {
		s = "0" + s
	}
	return s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// ticketTypeAuditObject names the ticket type in the audit log, within the
// log's 128 characters.
func ticketTypeAuditObject(ev *admit.Event, t *admit.TicketType) string {
	s := []rune(ev.Slug + ": " + t.Name)
	return string(s[:min(len(s), 128)])
}
