package payment

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
)

func TestOfflineStart(t *testing.T) {
	var p Provider = &Offline{Instructions: "Pay at the door, cash or card."}
	if got := p.Name(); got != "offline" {
		t.Errorf("Name() = %q, want offline", got)
	}
	o := &admit.Order{ID: 1, OrganizationID: 2, Reference: "ADM-1", Currency: "EUR", Total: 1000}
	got, err := p.Start(context.Background(), o, "https://tickets.example/ok", "https://tickets.example/cancel")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Started{Ref: "offline"}, got); diff != "" {
		t.Errorf("Start() mismatch (-want +got):\n%s", diff)
	}
}
