package admit

import (
	"strconv"
	"strings"
)

var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "AUD": "A$", "CAD": "CA$"}

// FormatMoney renders an amount in minor units for people: "€129.00",
// "¥5000", "SEK 250.00". Zero is "Free".
func FormatMoney(amount int64, currency string) string {
	if amount == 0 {
		return "Free"
	}
	return FormatAmount(amount, currency)
}

// FormatAmount renders an amount like FormatMoney, but zero as "€0.00":
// for totals and revenue, where zero is not a price.
func FormatAmount(amount int64, currency string) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	exp := CurrencyExponent(currency)
	s := strconv.FormatInt(amount, 10)
	if exp > 0 {
		for len(s) <= exp {
			s = "0" + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency + " "
	}
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	sb.WriteString(sym)
	sb.WriteString(s)
	return sb.String()
}
