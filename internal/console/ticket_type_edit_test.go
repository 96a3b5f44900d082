package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

func ticketTypeFormValues(kv ...string) url.Values {
	v := url.Values{"name": {"Standard"}, "price": {"129.00"}, "quantity": {"100"}, "min_per_order": {"1"}, "max_per_order": {"10"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestTicketTypeFormBadInput: every problem of the ticket type form is a
// 422 with the message next to its field and the input kept, escaped, and
// nothing is stored, for new ticket types and edits alike.
func TestTicketTypeFormBadInput(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	ctx := context.Background()
	ga := f.eventTypes(t, f.a.org, f.a.event.ID, true)[0]
	// Three sold: the quantity cannot go below them.
	mysqltest.SetLedger(t, f.db, ga.ID, ga.Quantity, 0, 3)
	ga, err := f.db.FindTicketType(ctx, f.a.org.ID, f.a.event.ID, ga.ID)
	if err != nil {
		t.Fatal(err)
	}
	script := `<script>alert(1)</script>`
	type problem struct{ field, msg string }
	cases := []struct {
		name string
		form url.Values
		want []problem
		kept []string
	}{
		{"empty", url.Values{}, []problem{{"name", "Name is required."}, {"price", "Enter a price; 0 makes the ticket free."},
			{"quantity", "Enter how many tickets of this type there are."}, {"min_per_order", "Enter the fewest tickets of this type an order may have."},
			{"max_per_order", "Enter the most tickets of this type an order may have."}}, nil},
		{"overlong", ticketTypeFormValues("name", strings.Repeat("n", 201), "description", strings.Repeat("d", 1001)),
			[]problem{{"name", "Name must be at most 200 characters."}, {"description", "Description must be at most 1,000 characters."}}, nil},
		{"script", ticketTypeFormValues("name", script, "description", script, "price", script),
			[]problem{{"price", "Enter an amount such as 129.00."}},
			[]string{`value="&lt;script&gt;alert(1)&lt;/script&gt;"`, `>&lt;script&gt;alert(1)&lt;/script&gt;</textarea>`}},
		{"negative price", ticketTypeFormValues("price", "-5.00"), []problem{{"price", "Price cannot be negative."}}, []string{`value="-5.00"`}},
		{"three decimals", ticketTypeFormValues("price", "12.345"), []problem{{"price", "Use at most 2 decimal places."}}, []string{`value="12.345"`}},
		{"comma", ticketTypeFormValues("price", "1,000.00"), []problem{{"price", "Enter an amount such as 129.00."}}, nil},
		{"float syntax", ticketTypeFormValues("price", "1e3"), []problem{{"price", "Enter an amount such as 129.00."}}, nil},
		{"too large", ticketTypeFormValues("price", "99999999999999.00"), []problem{{"price", "Price is too large."}}, nil},
		{"negative quantity", ticketTypeFormValues("quantity", "-1"), []problem{{"quantity", "Quantity cannot be negative."}}, []string{`value="-1"`}},
		{"quantity not a number", ticketTypeFormValues("quantity", "lots"), []problem{{"quantity", "Enter a whole number such as 100."}}, nil},
		{"min above max", ticketTypeFormValues("min_per_order", "5", "max_per_order", "2"),
			[]problem{{"max_per_order", "Maximum per order must be at least the minimum."}}, nil},
		{"max too high", ticketTypeFormValues("max_per_order", "101"), []problem{{"max_per_order", "Maximum per order must be at most 100."}}, nil},
		{"sales end before start", ticketTypeFormValues("sales_start", "2027-02-01T10:00", "sales_end", "2027-01-01T10:00"),
			[]problem{{"sales_end", "Sales end must be after sales start."}}, []string{`value="2027-02-01T10:00"`}},
		{"sales date", ticketTypeFormValues("sales_start", "soon"),
			[]problem{{"sales_start", "Enter a date and time such as 2027-01-15T10:00, or leave it empty."}}, nil},
	}
	before := f.eventTypes(t, f.a.org, f.a.event.ID, true)
	paths := map[string]string{
		"new":  fmt.Sprintf("/console/alpha/events/%d/ticket-types/new", f.a.event.ID),
		"edit": fmt.Sprintf("/console/alpha/events/%d/ticket-types/%d/edit", f.a.event.ID, ga.ID),
	}
	editOnly := []struct {
		name string
		form url.Values
		want []problem
	}{
		{"below sold", ticketTypeFormValues("name", "GA renamed", "quantity", "2"), []problem{{"quantity", "Cannot go below the 3 tickets already sold or held."}}},
	}
	for _, form := range []string{"new", "edit"} {
		for _, tt := range cases {
			t.Run(form+"/"+tt.name, func(t *testing.T) {
				st, body := b.post(paths[form], tt.form)
				if st != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", st)
				}
				for _, p := range tt.want {
					if !eventProblemNextTo(body, p.field, p.msg) {
						t.Errorf("no %q next to %s", p.msg, p.field)
					}
				}
				for _, k := range tt.kept {
					if !strings.Contains(body, k) {
						t.Errorf("input %s is not kept", k)
					}
				}
				if strings.Contains(body, "<script>alert(1)") {
					t.Error("markup from the form is rendered unescaped")
				}
			})
		}
	}
	for _, tt := range editOnly {
		t.Run("edit/"+tt.name, func(t *testing.T) {
			st, body := b.post(paths["edit"], tt.form)
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", st)
			}
			for _, p := range tt.want {
				if !eventProblemNextTo(body, p.field, p.msg) {
					t.Errorf("no %q next to %s", p.msg, p.field)
				}
			}
			if !strings.Contains(body, `value="GA renamed"`) {
				t.Error("input is not kept")
			}
		})
	}
	if diff := cmp.Diff(before, f.eventTypes(t, f.a.org, f.a.event.ID, true)); diff != "" {
		t.Errorf("ticket types changed by rejected forms (-before +after):\n%s", diff)
	}
	// The lowest allowed quantity is accepted.
	b.get(paths["edit"])
	if st, loc := b.post(paths["edit"], ticketTypeFormValues("name", "GA", "price", "10", "quantity", "3", "max_per_order", "5")); st != http.StatusSeeOther {
		t.Fatalf("quantity down to what is sold: %d %s", st, loc)
	}
	if got, _ := f.db.FindTicketType(ctx, f.a.org.ID, f.a.event.ID, ga.ID); got.Quantity != 3 || got.Price != 1000 {
		t.Errorf("quantity %d price %d, want 3 and 1000", got.Quantity, got.Price)
	}
}

// TestTicketTypeZeroDecimalCurrency: prices of a currency without a minor
// unit are whole amounts.
func TestTicketTypeZeroDecimalCurrency(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	ev := &admit.Event{OrganizationID: f.a.org.ID, Slug: "tokyo", Name: "Tokyo", TimeZone: "Asia/Tokyo",
		StartsAt: time.Now().Add(48 * time.Hour), Currency: "JPY", HoldMinutes: 10}
	if err := f.db.CreateEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/console/alpha/events/%d/ticket-types/new", ev.ID)
	if st, body := b.post(path, ticketTypeFormValues("price", "5000.50")); st != http.StatusUnprocessableEntity ||
		!eventProblemNextTo(body, "price", "JPY has no minor unit: enter a whole amount such as 5000.") {
		t.Errorf("JPY with decimals: %d", st)
	}
	if st, _ := b.post(path, ticketTypeFormValues("price", "5000")); st != http.StatusSeeOther {
		t.Fatalf("JPY 5000: %d", st)
	}
	types := f.eventTypes(t, f.a.org, ev.ID, true)
	if len(types) != 1 || types[0].Price != 5000 {
		t.Fatalf("stored JPY ticket types: %+v", types)
	}
	if _, body := b.get(fmt.Sprintf("/console/alpha/events/%d/ticket-types/%d/edit", ev.ID, types[0].ID)); !strings.Contains(body, `value="5000"`) {
		t.Error("edit form does not show the price as 5000")
	}
}

// TestTicketTypeQuantitySyncsGate: a new quantity reaches the Redis gate
// at once, as the ledger's availability (quantity - held - sold), while
// other edits leave the counter alone.
func TestTicketTypeQuantitySyncsGate(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	ctx := context.Background()
	ga := f.eventTypes(t, f.a.org, f.a.event.ID, true)[0]
	taken := ga.Sold + ga.Reserved
	if taken == 0 {
		t.Fatal("the fixture's ticket type has nothing sold or held")
	}
	path := fmt.Sprintf("/console/alpha/events/%d/ticket-types/%d/edit", f.a.event.ID, ga.ID)
	for _, quantity := range []int{25, 4} {
		b.get(path)
		st, loc := b.post(path, ticketTypeFormValues("name", "GA", "price", "10.00", "quantity", fmt.Sprint(quantity), "max_per_order", "5"))
		if st != http.StatusSeeOther {
			t.Fatalf("quantity %d: %d %s", quantity, st, loc)
		}
		n, ok, err := f.gate.Available(ctx, ga.ID)
		if err != nil || !ok || n != quantity-taken {
			t.Errorf("after quantity %d the gate has %d (exists %t, %v), want %d", quantity, n, ok, err, quantity-taken)
		}
	}
	// A drifted counter is not touched by an edit that keeps the quantity.
	if err := f.gate.Set(ctx, ga.ID, 99); err != nil {
		t.Fatal(err)
	}
	b.post(path, ticketTypeFormValues("name", "GA renamed", "price", "10.00", "quantity", "4", "max_per_order", "5"))
	if n, _, _ := f.gate.Available(ctx, ga.ID); n != 99 {
		t.Errorf("a rename set the gate to %d", n)
	}
	// A refused quantity leaves the gate as it was.
	if st, _ := b.post(path, ticketTypeFormValues("name", "GA", "price", "10.00", "quantity", "0", "max_per_order", "5")); st != http.StatusUnprocessableEntity {
		t.Errorf("quantity below what is taken: %d", st)
	}
	if n, _, _ := f.gate.Available(ctx, ga.ID); n != 99 {
		t.Errorf("a refused quantity set the gate to %d", n)
	}
	if !f.eventAudited(t, f.a.org, "ticket_type.updated") {
		t.Error("ticket_type.updated is not in the audit log")
	}
}
