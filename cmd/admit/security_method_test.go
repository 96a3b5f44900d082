package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIWrongMethodIsJSON: a method a route of the API does not have is
// 405 as a JSON problem with Allow, not the pages' form error.
func TestAPIWrongMethodIsJSON(t *testing.T) {
	s := mustSecureStack(t, nil)
	a := s.agent(t, "198.51.100.220")
	for _, path := range []string{"/api/v1/orders", "/api/checkout/v1/events/demo/gophersummit/holds"} {
		st, h, body := a.do("PUT", path, "application/json", `{}`, nil)
		if st != http.StatusMethodNotAllowed || !strings.Contains(body, `"code":"method_not_allowed"`) || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("PUT %s: %d %s %.200s, want 405 method_not_allowed as JSON", path, st, h.Get("Content-Type"), body)
		}
	}
	// Pages keep their own answers: an unknown page is the HTML 404.
	if st, h, _ := a.do("GET", "/no-such-page", "", "", nil); st != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("unknown page: %d %s, want the HTML 404", st, h.Get("Content-Type"))
	}
}
