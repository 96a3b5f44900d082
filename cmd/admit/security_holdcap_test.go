package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHoldCapCountsIPv6ByNetwork: buyers who drop their cookie are held
// to the address cap, and IPv6 addresses count by their /64, the block one
// subscriber gets.
func TestHoldCapCountsIPv6ByNetwork(t *testing.T) {
	s := mustSecureStack(t, map[string]string{"ADMIT_HOLDS_PER_CLIENT": "1"}) // 10 per address
	event := "/e/" + demoOrgSlug + "/" + demoEventSlug
	standard := s.types["Standard"]
	held := 0
	for i := range 12 {
		a := s.agent(t, fmt.Sprintf("2001:db8:1:2::%x", i+1))
		a.get(event)
		if st, loc := a.post(event+"/hold", url.Values{fmt.Sprintf("qty_%d", standard.ID): {"1"}}); st == http.StatusSeeOther && strings.HasPrefix(loc, "/checkout/") {
			held++
		}
	}
	if held != 10 {
		t.Errorf("12 cookieless buyers in one /64 held %d times, want the address cap of 10", held)
	}
	a := s.agent(t, "2001:db8:1:2:ffff:ffff:ffff:ffff")
	body := fmt.Sprintf(`{"items":[{"ticket_type_id":%d,"quantity":1}]}`, standard.ID)
	if st, resp := a.api("POST", "/api/checkout/v1/events/demo/gophersummit/holds", "", body); st != http.StatusTooManyRequests {
		t.Errorf("the API from the same /64: %d %.200s, want 429", st, resp)
	}
	other := s.agent(t, "2001:db8:1:3::1")
	if st, resp := other.api("POST", "/api/checkout/v1/events/demo/gophersummit/holds", "", body); st != http.StatusCreated {
		t.Errorf("the API from the next /64: %d %.200s, want 201", st, resp)
	}
	mapped := s.agent(t, "::ffff:192.0.2.50")
	if st, resp := mapped.api("POST", "/api/checkout/v1/events/demo/gophersummit/holds", "", body); st != http.StatusCreated {
		t.Errorf("an IPv4-mapped address: %d %.200s, want 201", st, resp)
	}
	var ip string
	if err := s.db.SQL().QueryRow(`SELECT client_ip FROM holds ORDER BY created_at DESC LIMIT 1`).Scan(&ip); err != nil || ip != "192.0.2.50" {
		t.Errorf("the mapped address is stored as %q (%v), want 192.0.2.50", ip, err)
	}
}
