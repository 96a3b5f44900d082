package admit_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
)

// TestValidatePublicSettings: what an organizer types is normalized, and
// each wrong field is named.
func TestValidatePublicSettings(t *testing.T) {
	for _, tt := range []struct {
		name   string
		event  admit.Event
		fields []string
	}{
		{"empty", admit.Event{}, nil},
		{"valid", admit.Event{BannerURL: "https://cdn.example.com/b.jpg", TermsURL: "http://example.com/terms",
			Payment: admit.PaymentInstructions{Payee: "Gophers e.V.", IBAN: "de89 3704 0044 0532 0130 00", BIC: "cobadeffxxx", DueDays: 14}}, nil},
		{"banner over http", admit.Event{BannerURL: "http://cdn.example.com/b.jpg"}, []string{"banner_url"}},
		{"banner as script", admit.Event{BannerURL: "javascript:alert(1)"}, []string{"banner_url"}},
		{"terms without host", admit.Event{TermsURL: "https://"}, []string{"terms_url"}},
		{"iban check digits", admit.Event{Payment: admit.PaymentInstructions{IBAN: "DE88 3704 0044 0532 0130 00"}}, []string{"payment_iban"}},
		{"bic length", admit.Event{Payment: admit.PaymentInstructions{BIC: "COBADE"}}, []string{"payment_bic"}},
		{"days", admit.Event{Payment: admit.PaymentInstructions{DueDays: 400}}, []string{"payment_due_days"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fields []string
			for _, p := range admit.ProblemsOf(tt.event.ValidatePublicSettings()) {
				fields = append(fields, p.Field)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	ev := admit.Event{Payment: admit.PaymentInstructions{IBAN: "de89 3704 0044 0532 0130 00", BIC: " cobadeffxxx "}}
	if err := ev.ValidatePublicSettings(); err != nil {
		t.Fatal(err)
	}
	if ev.Payment.IBAN != "DE89370400440532013000" || ev.Payment.BIC != "COBADEFFXXX" {
		t.Errorf("stored as %q %q, want upper case without spaces", ev.Payment.IBAN, ev.Payment.BIC)
	}
	if got := admit.FormatIBAN(ev.Payment.IBAN); got != "DE89 3704 0044 0532 0130 00" {
		t.Errorf("shown as %q", got)
	}
}
