package admit

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEventCheckPublishable(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ev := &Event{StartsAt: now.Add(30 * 24 * time.Hour)}
	started := &Event{StartsAt: now.Add(-time.Hour)}
	paid := &TicketType{Name: "Standard", Price: 4900, Quantity: 100}
	free := &TicketType{Name: "Community", Price: 0, Quantity: 100}
	hidden := &TicketType{Name: "Crew", Price: 0, Quantity: 10, Hidden: true}
	ended := &TicketType{Name: "Early bird", Price: 2900, Quantity: 50, SalesEnd: now.Add(-time.Hour)}
	upcoming := &TicketType{Name: "Late", Price: 5900, Quantity: 50, SalesStart: now.Add(24 * time.Hour)}
	none := &TicketType{Name: "Nothing", Price: 0, Quantity: 0}
	for _, tt := range []struct {
		name    string
		ev      *Event
		types   []*TicketType
		methods []string
		want    []string // problem fields
	}{
		{"paid with a method", ev, []*TicketType{paid}, []string{PaymentOffline}, nil},
		{"free needs no method", ev, []*TicketType{free}, nil, nil},
		{"upcoming window", ev, []*TicketType{upcoming}, []string{PaymentStripe}, nil},
		{"no ticket types", ev, nil, []string{PaymentStripe}, []string{PublishTicketTypes}},
		{"only hidden", ev, []*TicketType{hidden}, nil, []string{PublishTicketTypes}},
		{"every window ended", ev, []*TicketType{ended}, []string{PaymentStripe}, []string{PublishSaleWindow}},
		{"no quantity", ev, []*TicketType{none}, nil, []string{PublishSaleWindow}},
		{"event started", started, []*TicketType{free}, nil, []string{PublishSaleWindow}},
		{"paid without a method", ev, []*TicketType{paid, free}, nil, []string{PublishPaymentMethod}},
		{"free is no method", ev, []*TicketType{paid}, []string{PaymentFree}, []string{PublishPaymentMethod}},
		{"an ended paid type needs no method", ev, []*TicketType{ended, free}, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range problemsOf(tt.ev.CheckPublishable(tt.types, tt.methods, now)) {
				got = append(got, p.Field)
				if p.Message == "" {
					t.Errorf("problem %s has no message", p.Field)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
