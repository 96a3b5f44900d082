package main

import (
	"strings"
	"testing"
)

// TestSecurityHeaders: every answer carries nosniff and a referrer policy;
// pages carry a Content-Security-Policy that forbids inline script and
// framing; HSTS is sent when the public URL is https.
func TestSecurityHeaders(t *testing.T) {
	s := mustSecureStack(t, nil)
	a := s.agent(t, "198.51.100.230")
	paths := []string{"/e/demo/gophersummit", "/console/login", "/console/signup", "/no-such-page",
		"/api/checkout/v1/events/demo/gophersummit", "/api/v1/me", "/static/admit.css", "/healthz"}
	for _, p := range paths {
		_, h, _ := a.do("GET", p, "", "", nil)
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", p, got)
		}
		if got := h.Get("Referrer-Policy"); got != "strict-origin-when-cross-origin" {
			t.Errorf("%s: Referrer-Policy %q", p, got)
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: Content-Security-Policy %q allows inline script or eval", p, csp)
		}
		if got := h.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", p, got)
		}
		if got := h.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("%s: HSTS %q over a plain-http base URL", p, got)
		}
	}

	secure := mustSecureStack(t, map[string]string{"ADMIT_BASE_URL": "https://tickets.example.com"})
	_, h, _ := secure.agent(t, "198.51.100.231").do("GET", "/e/demo/gophersummit", "", "", nil)
	if got := h.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=31536000") {
		t.Errorf("HSTS with an https base URL: %q", got)
	}
}
