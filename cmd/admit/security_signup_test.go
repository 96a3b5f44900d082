package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSignupDoesNotRevealAccounts: signing up with an address that has an
// account answers exactly as with a new one, that an email was sent; the
// organization exists only once the link in the email is followed.
func TestSignupDoesNotRevealAccounts(t *testing.T) {
	s := mustSecureStack(t, nil)
	signup := func(email, slug string) (int, string) {
		a := s.agent(t, "198.51.100.200")
		a.get("/console/signup")
		st, body := a.post("/console/signup", url.Values{"org_name": {"Org " + slug}, "org_slug": {slug}, "name": {"Someone"},
			"email": {email}, "password": {"a long enough password"}})
		body = strings.ReplaceAll(body, email, "EMAIL")
		body = strings.ReplaceAll(body, slug, "SLUG")
		return st, formCSRF.ReplaceAllString(body, "")
	}
	orgs := s.count(t, `SELECT COUNT(*) FROM organizations`)
	stTaken, taken := signup(demoEmail, "taken-one")
	stNew, fresh := signup("newcomer@example.com", "new-one")
	if stTaken != stNew || taken != fresh {
		t.Errorf("sign-up with an existing account (%d) and with a new address (%d) answer differently", stTaken, stNew)
	}
	if stNew != http.StatusOK || !strings.Contains(fresh, "sent") {
		t.Errorf("sign-up answer: %d %.300s, want a page saying an email was sent", stNew, fresh)
	}
	if strings.Contains(taken, "exists") {
		t.Error("sign-up page says an account exists")
	}
	if n := s.count(t, `SELECT COUNT(*) FROM organizations`); n != orgs {
		t.Errorf("%d organizations before the email link is followed, want %d", n, orgs)
	}
	if n := s.count(t, `SELECT COUNT(*) FROM outbox WHERE kind = 'email.signup_exists'`); n != 1 {
		t.Errorf("%d emails to the existing account, want 1", n)
	}

	link := s.lastOutboxPath(t, "email.signup_confirm")
	a := s.agent(t, "198.51.100.201")
	if st, body := a.get(link); st != http.StatusOK || !strings.Contains(body, "Org new-one") {
		t.Fatalf("confirmation page: %d %.300s", st, body)
	}
	if st, loc := a.post(link, nil); st != http.StatusSeeOther || loc != "/console/new-one" {
		t.Fatalf("confirming: %d %s", st, loc)
	}
	if st, body := a.get("/console/new-one"); st != http.StatusOK || !strings.Contains(body, "Welcome to Admit") {
		t.Errorf("new organization's home: %d", st)
	}
	if st, _ := s.agent(t, "198.51.100.202").get(link); st != http.StatusGone {
		t.Errorf("a used confirmation link: %d, want 410", st)
	}
}
