package main

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// TestLoginLimitsByAccountAndAddress: successful logins never count, and
// wrong passwords from one address lock that address out of the account
// (and, in bulk, out of logging in at all), never the account's owner at
// another address.
func TestLoginLimitsByAccountAndAddress(t *testing.T) {
	s := mustSecureStack(t, nil)
	office := s.agent(t, "192.0.2.10")
	for i := range 60 {
		office.get("/console/login")
		if st, body := office.post("/console/login", url.Values{"email": {demoEmail}, "password": {s.password}}); st != http.StatusSeeOther {
			t.Fatalf("successful login %d from one address: %d %.200s", i+1, st, body)
		}
	}

	attacker := s.agent(t, "192.0.2.66")
	attacker.get("/console/login")
	limited := 0
	for range 15 {
		if st, _ := attacker.post("/console/login", url.Values{"email": {demoEmail}, "password": {"wrong password"}}); st == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 5 {
		t.Errorf("15 wrong passwords from one address: %d answered 429, want the attempts after the tenth", limited)
	}
	if st, _ := attacker.post("/console/login", url.Values{"email": {demoEmail}, "password": {s.password}}); st != http.StatusTooManyRequests {
		t.Errorf("the locked-out address logs in with the right password: %d, want 429", st)
	}
	owner := s.agent(t, "192.0.2.77")
	owner.mustLogin(demoEmail, s.password)

	sprayer := s.agent(t, "192.0.2.88")
	sprayer.get("/console/login")
	limited = 0
	for i := range 60 {
		email := fmt.Sprintf("user%d@example.com", i)
		if st, _ := sprayer.post("/console/login", url.Values{"email": {email}, "password": {"Winter2027!"}}); st == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("60 wrong passwords for 60 accounts from one address were never limited")
	}
}
