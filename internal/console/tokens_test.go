package console_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// mustTokenFixture is the console fixture on Redis database 12.
func mustTokenFixture(tb testing.TB) *fixture {
	tb.Helper()
	return mustFixtureOn(tb, 12)
}

var secretPattern = regexp.MustCompile(`adm_[a-z2-7]{52}`)

// TestTokensCreateListRevoke: an owner creates a token, sees it once,
// finds it listed without its secret, and revokes it; each step is in the
// audit log and the token stops working at once.
func TestTokensCreateListRevoke(t *testing.T) {
	f := mustTokenFixture(t)
	ctx := context.Background()
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	st, body := b.get("/console/alpha/tokens")
	if st != 200 || !strings.Contains(body, "No tokens yet") || !strings.Contains(body, `href="/console/alpha/tokens" aria-current="page"`) {
		t.Fatalf("tokens page: %d", st)
	}
	st, body = b.post("/console/alpha/tokens", url.Values{"name": {"Accounting sync"}, "scopes": {"read", "checkin"}})
	secret := secretPattern.FindString(body)
	if st != http.StatusCreated || secret == "" || !strings.Contains(body, "shown only this once") {
		t.Fatalf("create: %d, secret %q", st, secret)
	}
	// The list shows the token, never its secret again.
	st, body = b.get("/console/alpha/tokens")
	if st != 200 || !strings.Contains(body, "Accounting sync") || !strings.Contains(body, secret[:10]+"…") || !strings.Contains(body, ">never<") ||
		strings.Contains(body, secret) || !strings.Contains(body, f.a.owner.Email) {
		t.Errorf("list after create: %d", st)
	}
	tok, err := f.db.AuthenticateAPIToken(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Organization.Slug != "alpha" || tok.Name != "Accounting sync" || strings.Join(tok.Scopes, ",") != "read,checkin" {
		t.Errorf("token: %+v", tok)
	}
	// Only the hash is stored.
	var hash []byte
	var prefix string
	if err := f.db.SQL().QueryRow(`SELECT token_hash, prefix FROM api_tokens WHERE id = ?`, tok.ID).Scan(&hash, &prefix); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret)); string(hash) != string(sum[:]) || len(prefix) > 12 || !strings.HasPrefix(secret, prefix) {
		t.Errorf("stored hash %x prefix %q", hash, prefix)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM api_tokens WHERE CONCAT(name, prefix, scopes) LIKE ?`, "%"+secret[10:]+"%"); n != 0 {
		t.Error("the secret is stored in the clear")
	}

	if _, err := f.db.AuthenticateAPIToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, body = b.get("/console/alpha/tokens"); strings.Contains(body, ">never<") {
		t.Error("the last use is not shown after the token was used")
	}

	st, body = b.post(fmt.Sprintf("/console/alpha/tokens/%d/revoke", tok.ID), nil)
	if st != http.StatusOK || !strings.Contains(body, "Revoke the API token Accounting sync") || !strings.Contains(body, `name="confirm" value="1"`) {
		t.Fatalf("revoke asks no confirmation: %d", st)
	}
	if _, err := f.db.AuthenticateAPIToken(ctx, secret); err != nil {
		t.Fatalf("the token stopped working before the revocation was confirmed: %v", err)
	}
	st, loc := b.post(fmt.Sprintf("/console/alpha/tokens/%d/revoke", tok.ID), url.Values{"confirm": {"1"}})
	if st != http.StatusSeeOther || loc != "/console/alpha/tokens" {
		t.Fatalf("revoke: %d %s", st, loc)
	}
	if _, err := f.db.AuthenticateAPIToken(ctx, secret); admit.ErrorCode(err) != admit.EUNAUTHORIZED {
		t.Errorf("a revoked token still authenticates: %v", err)
	}
	if _, body = b.get("/console/alpha/tokens"); !strings.Contains(body, "revoked: it no longer works") || !regexp.MustCompile(`revoked \d+ \w+ 20\d\d \d\d:\d\d UTC`).MatchString(body) {
		t.Error("the revoked token is not shown as revoked")
	}
	if st, _ := b.post(fmt.Sprintf("/console/alpha/tokens/%d/revoke", tok.ID), nil); st != http.StatusSeeOther {
		t.Errorf("second revoke: %d", st)
	}
	_, body = b.get("/console/alpha/audit")
	if strings.Count(body, "api_token.created") != 1 || strings.Count(body, "api_token.revoked") != 1 {
		t.Error("creating and revoking are not each in the audit log once")
	}
}

func (f *fixture) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestTokensBadInput: problems are shown next to their fields with the
// input kept, and nothing is created.
func TestTokensBadInput(t *testing.T) {
	f := mustTokenFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	b.get("/console/alpha/tokens")
	for _, tt := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"no name", url.Values{"scopes": {"read"}}, []string{"Name the token"}},
		{"no scope", url.Values{"name": {"CRM"}}, []string{"Choose at least one scope", `value="CRM"`}},
		{"unknown scope", url.Values{"name": {"CRM"}, "scopes": {"admin"}}, []string{"Choose scopes from the list"}},
		{"markup", url.Values{"name": {"<script>alert(1)</script>" + strings.Repeat("x", 200)}, "scopes": {"read"}}, []string{"At most 200 characters", "&lt;script&gt;"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.post("/console/alpha/tokens", tt.form)
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", st)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if secretPattern.MatchString(body) || strings.Contains(body, "<script>alert") {
				t.Error("a refused form shows a secret or unescaped markup")
			}
		})
	}
	if n := f.count(t, `SELECT COUNT(*) FROM api_tokens`); n != 0 {
		t.Errorf("%d tokens created by refused forms", n)
	}
	if st, _ := b.post("/console/alpha/tokens", url.Values{"_csrf": {"forged"}, "name": {"CRM"}, "scopes": {"read"}}); st != http.StatusForbidden {
		t.Errorf("create without the CSRF token: %d", st)
	}
}

// TestTokensRolesAndTenants: admins manage tokens, check-in staff may not,
// and another organization's members get 404 and revoke nothing.
func TestTokensRolesAndTenants(t *testing.T) {
	f := mustTokenFixture(t)
	ctx := context.Background()
	tok := &admit.APIToken{OrganizationID: f.a.org.ID, Name: "Door scanners", Scopes: []string{admit.ScopeCheckIn}}
	secret, err := f.db.CreateAPIToken(ctx, tok, f.a.owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	revokePath := fmt.Sprintf("/console/alpha/tokens/%d/revoke", tok.ID)

	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	sb := f.newBrowser(t)
	sb.mustLogin(staff.Email)
	if st, _ := sb.get("/console/alpha/tokens"); st != http.StatusForbidden {
		t.Errorf("check-in staff on the tokens page: %d", st)
	}
	sb.get("/console/alpha")
	if st, _ := sb.post(revokePath, nil); st != http.StatusForbidden {
		t.Errorf("check-in staff revoking: %d", st)
	}
	if st, _ := sb.post("/console/alpha/tokens", url.Values{"name": {"x"}, "scopes": {"write"}}); st != http.StatusForbidden {
		t.Errorf("check-in staff creating: %d", st)
	}
	if _, body := sb.get("/console/alpha"); strings.Contains(body, "/tokens") {
		t.Error("check-in staff see the API tokens link")
	}

	beta := f.newBrowser(t)
	beta.mustLogin(f.b.owner.Email)
	if st, body := beta.get("/console/alpha/tokens"); st != http.StatusNotFound || strings.Contains(body, "Door scanners") {
		t.Errorf("beta on alpha's tokens: %d", st)
	}
	if _, body := beta.get("/console/beta/tokens"); strings.Contains(body, "Door scanners") {
		t.Error("beta's tokens page lists alpha's token")
	}
	if st, _ := beta.post(fmt.Sprintf("/console/beta/tokens/%d/revoke", tok.ID), nil); st != http.StatusNotFound {
		t.Errorf("beta revoking alpha's token through beta's URL: %d", st)
	}
	if _, err := f.db.AuthenticateAPIToken(ctx, secret); err != nil {
		t.Errorf("alpha's token after beta's attempts: %v", err)
	}

	admin := f.mustUser(t, f.a.org, "admin@example.com", admit.RoleAdmin)
	ab := f.newBrowser(t)
	ab.mustLogin(admin.Email)
	if st, body := ab.get("/console/alpha/tokens"); st != 200 || !strings.Contains(body, "Door scanners") {
		t.Errorf("admin on the tokens page: %d", st)
	}
	if st, _ := ab.post(revokePath, url.Values{"confirm": {"1"}}); st != http.StatusSeeOther {
		t.Errorf("admin revoking: %d", st)
	}
	if _, err := f.db.AuthenticateAPIToken(ctx, secret); admit.ErrorCode(err) != admit.EUNAUTHORIZED {
		t.Errorf("token revoked by an admin still works: %v", err)
	}
}
