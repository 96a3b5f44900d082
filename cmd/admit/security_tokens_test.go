package main

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// TestRemovedMemberTokensStop: removing a member revokes the API tokens
// they made, lowering them to check-in staff narrows their tokens to
// check-in, and resetting their password revokes their tokens, each at
// once and in the audit log.
func TestRemovedMemberTokensStop(t *testing.T) {
	s := mustSecureStack(t, map[string]string{"ADMIT_WEBHOOK_ALLOW_PRIVATE": "true"})
	const pw = "members password 1"
	owner := s.agent(t, "203.0.113.1")
	owner.mustLogin(demoEmail, s.password)
	tickets := fmt.Sprintf("/api/v1/events/%d/tickets", s.event.ID)
	lists := fmt.Sprintf("/api/v1/events/%d/checkin-lists", s.event.ID)
	hook := `{"url":"http://127.0.0.1:9/hook","event_types":["order.paid"]}`
	integrator := s.agent(t, "203.0.113.99")
	works := func(t *testing.T, token string) {
		t.Helper()
		if st, body := integrator.api("GET", tickets, token, ""); st != http.StatusOK {
			t.Fatalf("reading attendees with a fresh token: %d %s", st, body)
		}
		if st, body := integrator.api("POST", "/api/v1/webhook-endpoints", token, hook); st != http.StatusCreated {
			t.Fatalf("creating a webhook endpoint with a fresh token: %d %s", st, body)
		}
	}
	auditFor := func(email string) []string {
		rows, err := s.db.SQL().Query(`SELECT action FROM audit_log WHERE organization_id = ? AND detail LIKE ? ORDER BY id`, s.org.ID, "%"+email+"%")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var actions []string
		for rows.Next() {
			var a string
			rows.Scan(&a)
			actions = append(actions, a)
		}
		return actions
	}

	t.Run("removed", func(t *testing.T) {
		u := s.mustMember(t, "gone@example.com", admit.RoleAdmin, pw)
		member := s.agent(t, "203.0.113.2")
		member.mustLogin(u.Email, pw)
		token := member.mustToken("gone's sync")
		works(t, token)
		owner.get("/console/demo/team")
		if st, body := owner.post(fmt.Sprintf("/console/demo/team/%d/remove", u.ID), nil); st != http.StatusSeeOther {
			t.Fatalf("removing the member: %d %.300s", st, body)
		}
		if st, body := integrator.api("GET", tickets, token, ""); st != http.StatusUnauthorized {
			t.Errorf("removed member's token reads attendees: %d %.200s, want 401", st, body)
		}
		if st, body := integrator.api("POST", "/api/v1/webhook-endpoints", token, hook); st != http.StatusUnauthorized {
			t.Errorf("removed member's token creates webhook endpoints: %d %.200s, want 401", st, body)
		}
		if st, _ := member.get("/console/demo"); st != http.StatusNotFound {
			t.Errorf("removed member's session still opens the organization: %d", st)
		}
		if got := auditFor(u.Email); !contains(got, "api_token.revoked") {
			t.Errorf("audit log for %s: %v, want api_token.revoked", u.Email, got)
		}
	})

	t.Run("lowered to check-in", func(t *testing.T) {
		u := s.mustMember(t, "door@example.com", admit.RoleAdmin, pw)
		member := s.agent(t, "203.0.113.3")
		member.mustLogin(u.Email, pw)
		token := member.mustToken("door's scanner")
		works(t, token)
		owner.get("/console/demo/team")
		if st, body := owner.post(fmt.Sprintf("/console/demo/team/%d/role", u.ID), url.Values{"role": {"checkin"}}); st != http.StatusSeeOther {
			t.Fatalf("changing the role: %d %.300s", st, body)
		}
		if st, body := integrator.api("GET", tickets, token, ""); st != http.StatusForbidden {
			t.Errorf("check-in staff's token reads attendees: %d %.200s, want 403", st, body)
		}
		if st, body := integrator.api("POST", "/api/v1/webhook-endpoints", token, hook); st != http.StatusForbidden {
			t.Errorf("check-in staff's token creates webhook endpoints: %d %.200s, want 403", st, body)
		}
		if st, body := integrator.api("GET", lists, token, ""); st != http.StatusOK {
			t.Errorf("check-in staff's token no longer reads check-in lists: %d %.200s", st, body)
		}
		if got := auditFor(u.Email); !contains(got, "api_token.narrowed") {
			t.Errorf("audit log for %s: %v, want api_token.narrowed", u.Email, got)
		}
	})

	t.Run("password reset", func(t *testing.T) {
		u := s.mustMember(t, "reset@example.com", admit.RoleAdmin, pw)
		member := s.agent(t, "203.0.113.4")
		member.mustLogin(u.Email, pw)
		token := member.mustToken("reset's export")
		works(t, token)
		stranger := s.agent(t, "203.0.113.5")
		stranger.get("/console/password/forgot")
		if st, body := stranger.post("/console/password/forgot", url.Values{"email": {u.Email}}); st != http.StatusOK {
			t.Fatalf("asking for a reset: %d %.300s", st, body)
		}
		link := s.lastOutboxPath(t, "email.password_reset")
		stranger.get(link)
		if st, body := stranger.post(link, url.Values{"password": {"a new password 2"}, "password_confirm": {"a new password 2"}}); st != http.StatusSeeOther {
			t.Fatalf("resetting the password: %d %.300s", st, body)
		}
		if st, body := integrator.api("GET", tickets, token, ""); st != http.StatusUnauthorized {
			t.Errorf("token of an account whose password was reset reads attendees: %d %.200s, want 401", st, body)
		}
		if st, _ := member.get("/console/demo"); st != http.StatusSeeOther {
			t.Errorf("session from before the reset still works: %d", st)
		}
		if got := auditFor(u.Email); !contains(got, "api_token.revoked") {
			t.Errorf("audit log for %s: %v, want api_token.revoked", u.Email, got)
		}
	})

	// The owner's own token is untouched by changes to others.
	ownerToken := owner.mustToken("owner's sync")
	works(t, ownerToken)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
