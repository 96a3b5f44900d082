package admit_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/admithq/admit/pkg/admit"
)

func Example() {
	ctx := context.Background()
	client := admit.New("https://tickets.example.com", os.Getenv("ADMIT_TOKEN"))

	// Every paid order changed in the last day, page after page.
	since := time.Now().Add(-24 * time.Hour)
	for o, err := range client.Orders.All(ctx, admit.OrderListParams{Status: "paid", ListParams: admit.ListParams{ChangedSince: since}}) {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
		fmt.Println(o.Reference, o.Total, o.Currency)
	}

	// Two complimentary tickets; a retry of this call never makes a second order.
	comp, err := client.Orders.Create(ctx, admit.OrderCreateParams{
		EventID:   12,
		Buyer:     admit.Person{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items:     []admit.OrderItem{{TicketTypeID: 34, Quantity: 2}},
		Attendees: []admit.Attendee{{Name: "Ada Lovelace"}, {Name: "Charles Babbage"}},
	})
	if admit.ErrorCode(err) == admit.CodeSoldOut {
		fmt.Println("sold out")
		return
	} else if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, t := range comp.Tickets {
		fmt.Println(t.AttendeeName, t.Code)
	}
}
