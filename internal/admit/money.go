package admit

import (
	"errors"
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

// ParseAmount parses a decimal such as "129", "129.5" or "129.50" into
// minor units with exp decimals, without floating point; more decimals than
// exp, signs, or anything else is an error.
func ParseAmount(s string, exp int) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(frac) > exp || (hasFrac && frac == "") || len(whole) > 12 {
		return 0, errInvalidAmount
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, errInvalidAmount
		}
	}
	for len(frac) < exp {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, errInvalidAmount
	}
	return n, nil
}

var errInvalidAmount = errors.New("invalid amount")
