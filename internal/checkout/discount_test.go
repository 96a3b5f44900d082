package checkout_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
)

// TestDiscountCodeUsesAreLimited: 20 buyers race to use a code limited to 5
// uses; exactly 5 orders get the discount.
func TestDiscountCodeUsesAreLimited(t *testing.T) {
	f := mustFixture(t, admit.HoldLimits{}, admit.TicketType{Name: "GA", Price: 10000, Quantity: 100})
	ctx := context.Background()
	dc := &admit.DiscountCode{OrganizationID: f.event.OrganizationID, EventID: f.event.ID, Code: "half", Kind: admit.DiscountPercent, Value: 5000, MaxUses: 5}
	if err := f.db.CreateDiscountCode(ctx, dc); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var discounted, usedUp atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := f.co.HoldWithCode(ctx, f.event, []admit.HoldItem{{TicketTypeID: f.types[0].ID, Quantity: 1}}, checkout.Client{}, " Half ")
			if err != nil {
				if admit.ErrorCode(err) == admit.EINVALID {
					usedUp.Add(1) // the code was used up before this buyer held
					return
				}
				t.Error(err)
				return
			}
			placed, err := f.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com", PaymentMethod: admit.PaymentOffline})
			switch {
			case err == nil && placed.Order.Total == 5000 && placed.Order.DiscountTotal == 5000:
				discounted.Add(1)
			case admit.ErrorCode(err) == admit.EINVALID:
				usedUp.Add(1)
			default:
				t.Errorf("order: %+v, %v", placed, err)
			}
		}()
	}
	wg.Wait()
	var used int
	f.db.SQL().QueryRow(`SELECT used FROM discount_codes WHERE id = ?`, dc.ID).Scan(&used)
	if discounted.Load() != 5 || used != 5 || usedUp.Load() != 15 {
		t.Fatalf("%d discounted orders, %d refused, code used %d times; want 5, 15, 5", discounted.Load(), usedUp.Load(), used)
	}
	if _, err := f.co.HoldWithCode(ctx, f.event, []admit.HoldItem{{TicketTypeID: f.types[0].ID, Quantity: 1}}, checkout.Client{}, "nope"); admit.ErrorCode(err) != admit.EINVALID {
		t.Errorf("unknown code: %v", err)
	}
}

// TestDiscountCodeUnlocksHiddenType: a hidden ticket type can only be held
// with the code that names it, and the code's discount applies to it.
func TestDiscountCodeUnlocksHiddenType(t *testing.T) {
	f := mustFixture(t, admit.HoldLimits{}, admit.TicketType{Name: "Public", Price: 5000, Quantity: 10}, admit.TicketType{Name: "Speaker", Price: 2000, Quantity: 10, Hidden: true})
	ctx := context.Background()
	speaker := []admit.HoldItem{{TicketTypeID: f.types[1].ID, Quantity: 1}}
	if _, err := f.co.Hold(ctx, f.event, speaker, checkout.Client{}); admit.ErrorCode(err) != admit.EINVALID {
		t.Fatalf("hidden type without a code: %v, want invalid", err)
	}
	other := &admit.DiscountCode{OrganizationID: f.event.OrganizationID, EventID: f.event.ID, Code: "TENOFF", Kind: admit.DiscountFixed, Value: 1000}
	if err := f.db.CreateDiscountCode(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.HoldWithCode(ctx, f.event, speaker, checkout.Client{}, "tenoff"); admit.ErrorCode(err) != admit.EINVALID {
		t.Fatalf("hidden type with a code that does not name it: %v, want invalid", err)
	}
	dc := &admit.DiscountCode{OrganizationID: f.event.OrganizationID, EventID: f.event.ID, Code: "SPEAKER", Kind: admit.DiscountPercent, Value: 10000, TicketTypeIDs: []int64{f.types[1].ID}}
	if err := f.db.CreateDiscountCode(ctx, dc); err != nil {
		t.Fatal(err)
	}
	h, err := f.co.HoldWithCode(ctx, f.event, append(speaker, admit.HoldItem{TicketTypeID: f.types[0].ID, Quantity: 1}), checkout.Client{}, "speaker")
	if err != nil {
		t.Fatal(err)
	}
	placed, err := f.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com", PaymentMethod: admit.PaymentOffline,
		Attendees: []admit.Attendee{{Name: "A"}, {Name: "B"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The speaker ticket is free with the code; the public one is not discounted.
	if placed.Order.Total != 5000 || placed.Order.DiscountTotal != 2000 {
		t.Errorf("total %d discount %d, want 5000 and 2000", placed.Order.Total, placed.Order.DiscountTotal)
	}
}

// TestQuestionsAreAskedPerTicket: required answers and valid choices are
// enforced per ticket type, and answers are stored with the tickets.
func TestQuestionsAreAskedPerTicket(t *testing.T) {
	f := mustFixture(t, admit.HoldLimits{}, admit.TicketType{Name: "GA", Quantity: 10}, admit.TicketType{Name: "VIP", Quantity: 10})
	ctx := context.Background()
	size := &admit.Question{OrganizationID: f.event.OrganizationID, EventID: f.event.ID, Label: "T-shirt size", Kind: admit.QuestionChoice,
		Options: []string{"S", "M", "L"}, Required: true}
	dinner := &admit.Question{OrganizationID: f.event.OrganizationID, EventID: f.event.ID, Label: "Dinner?", Kind: admit.QuestionCheckbox,
		TicketTypeIDs: []int64{f.types[1].ID}}
	for _, q := range []*admit.Question{size, dinner} {
		if err := f.db.CreateQuestion(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	h, err := f.co.Hold(ctx, f.event, []admit.HoldItem{{TicketTypeID: f.types[0].ID, Quantity: 1}, {TicketTypeID: f.types[1].ID, Quantity: 1}}, checkout.Client{})
	if err != nil {
		t.Fatal(err)
	}
	req := admit.OrderRequest{BuyerName: "B", BuyerEmail: "b@example.com", Attendees: []admit.Attendee{
		{Name: "Ada", Answers: map[int64]string{size.ID: "XXL"}},
		{Name: "Bob", Answers: map[int64]string{dinner.ID: "yes"}},
	}}
	_, err = f.co.PlaceOrder(ctx, h.ID, req)
	var de *admit.Error
	if admit.ErrorCode(err) != admit.EINVALID || !errors.As(err, &de) ||
		admit.Problems(de.Problems).For(checkout.AnswerField(0, size.ID)) == "" || admit.Problems(de.Problems).For(checkout.AnswerField(1, size.ID)) == "" {
		t.Fatalf("bad choice and missing required answer: %v", err)
	}
	req.Attendees[0].Answers[size.ID] = "M"
	req.Attendees[1].Answers[size.ID] = "L"
	req.Attendees[0].Answers[dinner.ID] = "yes" // not asked for GA: dropped
	placed, err := f.co.PlaceOrder(ctx, h.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.db.FindOrder(ctx, f.event.OrganizationID, placed.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, tk := range o.Tickets {
		for _, a := range tk.Answers {
			got[tk.AttendeeName] = append(got[tk.AttendeeName], a.Label+"="+a.Value)
		}
	}
	if len(got["Ada"]) != 1 || got["Ada"][0] != "T-shirt size=M" || len(got["Bob"]) != 2 {
		t.Errorf("stored answers: %v", got)
	}
}
