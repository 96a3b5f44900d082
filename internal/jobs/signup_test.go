package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
)

// TestSignupEmails: a sign-up with a new address is emailed the link that
// creates the organization; one with an address that has an account is
// emailed that it has one, with no link that creates anything.
func TestSignupEmails(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	start := time.Now()
	hash, _ := bcrypt.GenerateFromPassword([]byte("a long enough password"), bcrypt.MinCost)
	existing := &admit.User{Email: "owner-" + f.tag + "@example.com", Name: "Owner", PasswordHash: string(hash)}
	if err := f.db.CreateUser(ctx, existing); err != nil {
		t.Fatal(err)
	}
	newcomer := "new-" + f.tag + "@example.com"
	for _, s := range []*admit.Signup{
		{Email: newcomer, Name: "Newcomer", OrgName: "New Org", OrgSlug: "new-org-" + f.tag},
		{Email: existing.Email, Name: "Impostor", OrgName: "Other Org", OrgSlug: "other-org-" + f.tag},
	} {
		token := admit.NewToken(32)
		if err := f.db.RequestSignup(ctx, s, string(hash), token, "/console/signup/confirm/"+token); err != nil {
			t.Fatal(err)
		}
	}
	renderer, _ := email.NewRenderer()
	h := &jobs.Outbox{Store: f.db, Emails: renderer, Refunds: f.co, BaseURL: "http://admit.test", MailFrom: "tickets@admit.test", Logger: f.logger,
		Mailer: email.NewSES(email.SESOptions{Region: "us-east-1", Endpoint: f.ses, AccessKey: "local", SecretKey: "local"})}
	rows, err := f.db.SQL().Query(`SELECT id FROM outbox WHERE kind LIKE 'email.signup_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := h.Perform(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	sent := map[string]string{}
	for _, e := range mustSent(t, f.tag, start) {
		sent[e.Destination.To[0]] = e.Subject + "\n" + e.Body.Text
	}
	if got := sent[newcomer]; !strings.Contains(got, "http://admit.test/console/signup/confirm/") || !strings.Contains(got, "Newcomer") {
		t.Errorf("email to the new address:\n%s", got)
	}
	if got := sent[existing.Email]; !strings.Contains(got, "already has an account") || !strings.Contains(got, "http://admit.test/console/login") ||
		strings.Contains(got, "/signup/confirm/") || strings.Contains(got, "Impostor") {
		t.Errorf("email to the address with an account:\n%s", got)
	}
}
