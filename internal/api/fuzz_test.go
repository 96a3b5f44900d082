package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"

	"github.com/admithq/admit/internal/admit"
	v1 "github.com/admithq/admit/internal/api/v1"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/webhook"
)

// mustAnswerWell fails the test on what no client may ever see: a 5xx, or
// an error that is not a JSON problem with a code and a message.
func mustAnswerWell(t *testing.T, what string, r response) {
	t.Helper()
	if r.status >= 500 {
		t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
	if r.status < 400 || r.status == 404 && len(r.body) == 0 {
		return
	}
	var p struct{ Code, Message string }
	if err := json.Unmarshal(r.body, &p); err != nil || p.Code == "" || p.Message == "" {
		t.Fatalf("%s: %d with a body that is no JSON problem: %s", what, r.status, r.body)
	}
}

// mustWithinCapacity fails the test if the ledger ever holds and sells more
// of a type than it has.
func mustWithinCapacity(t *testing.T, db *mysql.DB, types ...*admit.TicketType) {
	t.Helper()
	for _, tt := range types {
		quantity, reserved, sold := mysqltest.Ledger(t, db, tt.ID)
		if reserved < 0 || sold < 0 || reserved+sold > quantity {
			t.Fatalf("ticket type %d: reserved %d + sold %d of %d", tt.ID, reserved, sold, quantity)
		}
	}
}

// FuzzCheckoutAPIBodies sends any body to the checkout API's hold and order
// requests on the real stack: every answer is a success or a JSON problem
// below 500, and the ledger never holds or sells more than it has.
func FuzzCheckoutAPIBodies(f *testing.F) {
	fx := mustFixture(f)
	// Plenty of tickets, so that late inputs still reach the order step.
	mysqltest.SetLedger(f, fx.db, fx.free.ID, 1_000_000, 0, 0)
	mysqltest.SetLedger(f, fx.db, fx.paid.ID, 1_000_000, 0, 0)
	hold := `{"items":[{"ticket_type_id":` + id(fx.free.ID) + `,"quantity":1}]}`
	for _, seed := range [][2]string{
		{hold, `{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"Ada"}]}`},
		{`{"items":[{"ticket_type_id":` + id(fx.paid.ID) + `,"quantity":2}],"discount_code":"X"}`,
			`{"buyer":{"name":"Ada","email":"ada@example.com"},"attendees":[{"name":"A"},{"name":"B","email":"b@example.com"}],"payment_method":"offline"}`},
		{`{"items":[{"ticket_type_id":` + id(fx.other.ID) + `,"quantity":1}]}`, `{"buyer":{"name":"Ada","email":"ada@"},"payment_method":"stripe"}`},
		{`{"items":[{"ticket_type_id":1e30,"quantity":-1}]}`, `{"attendees":[{"answers":{"1":"x"}}]}`},
		{`{"items":null}`, `[]`}, {`{"items":[{}]}`, `null`}, {`{`, `"x"`}, {``, ``},
		{`{"items":[{"ticket_type_id":"1","quantity":"1"}],"price":0}`, `{"buyer":{"name":1},"total":0}`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, holdBody, orderBody string) {
		r := fx.do(t, "POST", "/api/checkout/v1/events/acme/conf/holds", "application/json", holdBody, nil)
		mustAnswerWell(t, "hold", r)
		held := fx.mustHold(t, items(fx.free.ID, "1"))
		r = fx.do(t, "POST", "/api/checkout/v1/holds/"+held+"/order", "application/json", orderBody, nil)
		mustAnswerWell(t, "order", r)
		if r.status != 201 {
			fx.do(t, "DELETE", "/api/checkout/v1/holds/"+held, "", "", nil)
		}
		mustWithinCapacity(t, fx.db, fx.free, fx.paid)
	})
}

// offlineResolver answers no DNS lookup, so that fuzzed webhook host names
// are judged by their form without waiting on DNS.
var offlineResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in this test")
}}

// FuzzV1Bodies sends any body to the integrators' API's writes on the real
// stack, with a token that may make them all: every answer is a success or
// a JSON problem below 500, and the ledger never holds or sells more than
// it has.
func FuzzV1Bodies(f *testing.F) {
	fx := mustV1Fixture(f, func(o *v1.Options) {
		o.WebhookURLs = webhook.URLPolicy{AllowHTTP: true, Resolver: offlineResolver}
	})
	t0 := fx.a
	mysqltest.SetLedger(f, fx.db, t0.free.ID, 1_000_000, 0, 0)
	token := t0.secrets["all"]
	comp := `{"event_id":` + id(t0.event.ID) + `,"buyer":{"name":"A","email":"a@example.com"},"items":[{"ticket_type_id":` + id(t0.free.ID) + `,"quantity":2}],"attendees":[{"name":"A"},{"name":"B"}]}`
	r := fx.raw(f, "POST", "/api/v1/orders", token, "application/json", comp, nil)
	if r.status != 201 {
		f.Fatalf("comp order: %d %s", r.status, r.body)
	}
	var order struct {
		ID      int64 `json:"id"`
		Tickets []struct {
			ID   int64  `json:"id"`
			Code string `json:"code"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal(r.body, &order); err != nil || len(order.Tickets) == 0 {
		f.Fatalf("comp order answer %s: %v", r.body, err)
	}
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/orders"},
		{"POST", "/api/v1/events/" + id(t0.event.ID) + "/discount-codes"},
		{"POST", "/api/v1/webhook-endpoints"},
		{"PATCH", "/api/v1/tickets/" + id(order.Tickets[0].ID)},
		{"POST", "/api/v1/checkin-lists/" + id(t0.list.ID) + "/checkins"},
		{"POST", "/api/v1/exports"},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/refund"},
		{"POST", "/api/v1/orders/" + id(order.ID) + "/cancel"},
	}
	for i, body := range []string{
		comp,
		`{"code":"SPRING-2027-XK","kind":"percent","value":2500,"max_uses":10,"valid_until":"2030-01-01T00:00:00Z","ticket_type_ids":[` + id(t0.free.ID) + `]}`,
		`{"url":"https://example.com/hooks","event_types":["order.paid"],"description":"CRM"}`,
		`{"attendee_name":"Grace","attendee_email":"grace@example.com"}`,
		`{"code":"` + order.Tickets[0].Code + `"}`,
		`{"kind":"attendees","format":"xlsx","event_id":` + id(t0.event.ID) + `}`,
		`{"ticket_ids":[` + id(order.Tickets[0].ID) + `]}`,
		`{}`,
	} {
		f.Add(uint8(i), body)
	}
	f.Add(uint8(0), `{"event_id":1e400}`)
	f.Add(uint8(1), `{"code":"\u0000","kind":"fixed","value":-1,"valid_from":"0000-01-01T00:00:00Z"}`)
	f.Add(uint8(2), `{"url":"http://[::1]/","event_types":[null]}`)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		rt := routes[int(route)%len(routes)]
		r := fx.raw(t, rt.method, rt.path, token, "application/json", body, nil)
		mustAnswerWell(t, rt.method+" "+rt.path, r)
		mustWithinCapacity(t, fx.db, t0.free, t0.paid)
	})
}
