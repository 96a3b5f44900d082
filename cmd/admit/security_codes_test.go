package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// mustHiddenCode adds a hidden ticket type to the demo event and a code
// that unlocks it.
func (s *secureStack) mustHiddenCode(tb testing.TB, code string) *admit.TicketType {
	tb.Helper()
	ctx := context.Background()
	backstage := &admit.TicketType{OrganizationID: s.org.ID, EventID: s.event.ID, Name: "Backstage", Price: 5000, Quantity: 20,
		MinPerOrder: 1, MaxPerOrder: 2, Hidden: true}
	if err := s.db.CreateTicketType(ctx, backstage); err != nil {
		tb.Fatal(err)
	}
	dc := &admit.DiscountCode{OrganizationID: s.org.ID, EventID: s.event.ID, Code: code, Kind: admit.DiscountPercent, Value: 2000,
		TicketTypeIDs: []int64{backstage.ID}}
	if err := s.db.CreateDiscountCode(ctx, dc); err != nil {
		tb.Fatal(err)
	}
	return backstage
}

// guesses are 40 wrong codes and then the right one.
func guesses(right string) []string {
	var list []string
	for i := range 40 {
		list = append(list, fmt.Sprintf("VIP%d", 3000+i))
	}
	return append(list, right)
}

// TestDiscountCodeGuessingIsLimited: on each path that takes a code (the
// holds API, the event page's ?code=, the event page's form), wrong codes
// from one client or one address are limited, so 40 guesses never reach
// the right one; a buyer elsewhere with the right code is unaffected.
func TestDiscountCodeGuessingIsLimited(t *testing.T) {
	s := mustSecureStack(t, map[string]string{"ADMIT_HOLDS_PER_CLIENT": "50"})
	const code = "VIP2027"
	backstage := s.mustHiddenCode(t, code)
	event := "/e/" + demoOrgSlug + "/" + demoEventSlug
	holds := "/api/checkout/v1/events/" + demoOrgSlug + "/" + demoEventSlug + "/holds"
	type outcome struct{ found, limited int }

	t.Run("holds API, one address", func(t *testing.T) {
		a := s.agent(t, "198.51.100.1")
		var o outcome
		for _, guess := range guesses(code) {
			st, body := a.api("POST", holds, "", fmt.Sprintf(`{"discount_code":%q,"items":[{"ticket_type_id":%d,"quantity":1}]}`, guess, backstage.ID))
			switch {
			case st == http.StatusCreated:
				o.found++
			case st == http.StatusTooManyRequests && strings.Contains(body, `"code":"rate_limited"`):
				o.limited++
			}
		}
		if o.found != 0 || o.limited < 10 {
			t.Errorf("41 guesses: %d found the code, %d limited; want none found and the guesses past the limit refused", o.found, o.limited)
		}
	})

	t.Run("event page link, one address", func(t *testing.T) {
		a := s.agent(t, "198.51.100.2")
		var o outcome
		for _, guess := range guesses(code) {
			st, body := a.get(event + "?code=" + url.QueryEscape(guess))
			switch {
			case strings.Contains(body, "Backstage"):
				o.found++
			case st == http.StatusTooManyRequests && strings.Contains(body, "Too many wrong codes"):
				o.limited++
			}
		}
		if o.found != 0 || o.limited < 10 {
			t.Errorf("41 guesses: %d unlocked the hidden type, %d limited; want none unlocked", o.found, o.limited)
		}
	})

	t.Run("event page form, one buyer moving between addresses", func(t *testing.T) {
		a := s.agent(t, "")
		var o outcome
		for i, guess := range guesses(code) {
			a.addr = fmt.Sprintf("198.51.100.%d", 10+i)
			a.get(event)
			st, body := a.post(event+"/hold", url.Values{"code": {guess}, fmt.Sprintf("qty_%d", backstage.ID): {"1"}})
			switch {
			case st == http.StatusSeeOther && strings.HasPrefix(body, "/checkout/"):
				o.found++
			case strings.Contains(body, "Too many wrong codes"):
				o.limited++
			}
		}
		if o.found != 0 || o.limited < 10 {
			t.Errorf("41 guesses: %d held with the code, %d limited; want none held", o.found, o.limited)
		}
	})

	t.Run("a buyer elsewhere", func(t *testing.T) {
		a := s.agent(t, "198.51.100.100")
		if st, body := a.get(event + "?code=" + code); st != http.StatusOK || !strings.Contains(body, "Backstage") {
			t.Fatalf("the right code from another address: %d", st)
		}
		st, loc := a.post(event+"/hold", url.Values{"code": {code}, fmt.Sprintf("qty_%d", backstage.ID): {"1"}})
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/checkout/") {
			t.Errorf("holding with the right code from another address: %d %.200s", st, loc)
		}
	})
}

// TestShortCodeWarning: the console warns when a new code is short enough
// to guess, and still creates it.
func TestShortCodeWarning(t *testing.T) {
	s := mustSecureStack(t, nil)
	owner := s.agent(t, "198.51.100.150")
	owner.mustLogin(demoEmail, s.password)
	path := fmt.Sprintf("/console/demo/events/%d/discounts", s.event.ID)
	for _, tt := range []struct {
		code string
		warn bool
	}{{"VIP27", true}, {"SPEAKERS-7Q2XW9LM", false}} {
		owner.get(path)
		st, loc := owner.post(path, url.Values{"code": {tt.code}, "kind": {"percent"}, "value": {"10"}})
		if st != http.StatusSeeOther {
			t.Fatalf("creating %s: %d %.300s", tt.code, st, loc)
		}
		_, body := owner.get(loc)
		if got := strings.Contains(body, "It is short and easy to guess"); got != tt.warn {
			t.Errorf("code %s: warning shown %v, want %v", tt.code, got, tt.warn)
		}
		if got := strings.Contains(body, "<code>"+tt.code+"</code> <span class=\"badge"); got != tt.warn {
			t.Errorf("code %s: marked short in the list %v, want %v", tt.code, got, tt.warn)
		}
	}
}
