package console

import "testing"

func TestTicketTypeParsePrice(t *testing.T) {
	for _, tt := range []struct {
		name, in, currency string
		want               int64
		problem            string
	}{
		{"whole", "129", "EUR", 12900, ""},
		{"two decimals", "129.00", "EUR", 12900, ""},
		{"one decimal", "0.5", "EUR", 50, ""},
		{"zero", "0", "EUR", 0, ""},
		{"leading zeros", "007.05", "EUR", 705, ""},
		{"largest digits", "999999999999.99", "USD", 99999999999999, ""},
		{"yen", "5000", "JPY", 5000, ""},
		{"decimal comma", "12,50", "EUR", 1250, ""},
		{"decimal comma, one digit", "12,5", "EUR", 1250, ""},
		{"thousands comma", "1,250", "EUR", 0, "Leave out the thousands separator: 129.00."},
		{"yen comma", "5,000", "JPY", 0, "Leave out the thousands separator: 5000."},
		{"comma and point", "1,250.00", "EUR", 0, "Enter an amount such as 129.00."},
		{"two commas", "1,2,3", "EUR", 0, "Enter an amount such as 129.00."},
		{"empty", "", "EUR", 0, "Enter a price; 0 makes the ticket free."},
		{"negative", "-1", "EUR", 0, "Price cannot be negative."},
		{"three decimals", "1.005", "EUR", 0, "Use at most 2 decimal places."},
		{"yen decimals", "1.5", "JPY", 0, "JPY has no minor unit: enter a whole amount such as 5000."},
		{"point only", ".", "EUR", 0, "Enter an amount such as 129.00."},
		{"no whole part", ".50", "EUR", 0, "Enter an amount such as 129.00."},
		{"trailing point", "5.", "EUR", 0, "Enter an amount such as 129.00."},
		{"two points", "1.2.3", "EUR", 0, "Enter an amount such as 129.00."},
		{"plus", "+5", "EUR", 0, "Enter an amount such as 129.00."},
		{"spaces inside", "1 000", "EUR", 0, "Enter an amount such as 129.00."},
		{"exponent", "1e3", "EUR", 0, "Enter an amount such as 129.00."},
		{"unicode digits", "١٢", "EUR", 0, "Enter an amount such as 129.00."},
		{"too many digits", "1234567890123", "EUR", 0, "Price is too large."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := ticketTypeParsePrice(tt.in, tt.currency)
			if got != tt.want || problem != tt.problem {
				t.Errorf("ticketTypeParsePrice(%q, %s) = %d, %q; want %d, %q", tt.in, tt.currency, got, problem, tt.want, tt.problem)
			}
		})
	}
	for _, amount := range []int64{0, 5, 50, 12900, 99999999999999} {
		if back, problem := ticketTypeParsePrice(ticketTypeFormatPrice(amount, "EUR"), "EUR"); back != amount || problem != "" {
			t.Errorf("format then parse %d gives %d %q", amount, back, problem)
		}
	}
}
