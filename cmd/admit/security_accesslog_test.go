package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// TestAccessLogOmitsLinkTokens: the secret of a reset, invitation or
// sign-up link never reaches the access log; the route does.
func TestAccessLogOmitsLinkTokens(t *testing.T) {
	s := mustSecureStack(t, nil)
	a := s.agent(t, "198.51.100.210")
	a.get("/console/password/forgot")
	a.post("/console/password/forgot", url.Values{"email": {demoEmail}})
	reset := s.lastOutboxPath(t, "email.password_reset")
	a.get(reset)
	invitation := "/console/invitations/" + admit.NewToken(32)
	a.get(invitation)
	a.get("/console/signup")
	a.post("/console/signup", url.Values{"org_name": {"Logged"}, "name": {"L"}, "email": {"logged@example.com"}, "password": {"a long enough password"}})
	confirm := s.lastOutboxPath(t, "email.signup_confirm")
	a.get(confirm)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.logs.String(), `"route":"/console/signup/confirm/:token"`) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	logs := s.logs.String()
	for _, path := range []string{reset, invitation, confirm} {
		secret := path[strings.LastIndex(path, "/")+1:]
		if strings.Contains(logs, secret) {
			t.Errorf("the access log holds the secret of %s", path)
		}
	}
	for _, route := range []string{"/console/password/reset/:token", "/console/invitations/:token", "/console/signup/confirm/:token"} {
		if !strings.Contains(logs, `"route":"`+route+`"`) {
			t.Errorf("the access log lacks a line for %s", route)
		}
	}
}
