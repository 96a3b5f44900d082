package console_test

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func sha(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

const newPassword = "a brand new password"

// TestPasswordForgotAndReset: the forgot form answers alike for known and
// unknown emails, yet queues an email only for a known one; the link works
// once, within the hour, ends the sessions started before, and the old
// password stops working.
func TestPasswordForgotAndReset(t *testing.T) {
	f := mustFixture(t)
	earlier := f.newBrowser(t)
	earlier.mustLogin(f.a.owner.Email)

	b := f.newBrowser(t)
	if st, body := b.get("/console/login"); st != 200 || !strings.Contains(body, `href="/console/password/forgot"`) {
		t.Errorf("login page lacks the forgot-password link: %d", st)
	}
	b.get("/console/password/forgot")
	stKnown, known := b.post("/console/password/forgot", url.Values{"email": {" Alpha@Example.com "}})
	stUnknown, unknown := b.post("/console/password/forgot", url.Values{"email": {"nobody@example.com"}})
	if stKnown != 200 || stUnknown != 200 || known != unknown {
		t.Errorf("answers differ: %d and %d, bodies equal %v", stKnown, stUnknown, known == unknown)
	}
	if !strings.Contains(known, "If an account exists for this email") {
		t.Error("the answer does not say a link may have been sent")
	}
	rows := f.outbox(t, "email.password_reset")
	if len(rows) != 1 {
		t.Fatalf("%d reset emails queued, want 1 (for the known address only)", len(rows))
	}
	if id, _ := rows[0].Payload["user_id"].(float64); int64(id) != f.a.owner.ID || rows[0].OrganizationID != nil {
		t.Errorf("reset email payload %v, organization %v", rows[0].Payload, rows[0].OrganizationID)
	}
	path := f.lastPath(t, "email.password_reset")
	token, ok := strings.CutPrefix(path, "/console/password/reset/")
	if !ok || len(token) < 40 {
		t.Fatalf("reset path %q", path)
	}
	var clear, hashed, minutes int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM password_resets WHERE token_hash = ?`, token).Scan(&clear)
	f.db.SQL().QueryRow(`SELECT COUNT(*), COALESCE(MAX(TIMESTAMPDIFF(MINUTE, NOW(6), expires_at)), 0) FROM password_resets WHERE token_hash = ?`,
		sha(token)).Scan(&hashed, &minutes)
	if clear != 0 || hashed != 1 || minutes < 58 || minutes > 60 {
		t.Errorf("stored reset: %d in clear, %d hashed, expires in %d minutes", clear, hashed, minutes)
	}
	// A second link, sent before the reset, dies with it.
	b.post("/console/password/forgot", url.Values{"email": {f.a.owner.Email}})
	second := f.lastPath(t, "email.password_reset")

	r := f.newBrowser(t)
	if st, body := r.get(path); st != 200 || !strings.Contains(body, f.a.owner.Email) || !strings.Contains(body, `name="password_confirm"`) {
		t.Fatalf("reset page: %d", st)
	}
	for _, tt := range []struct {
		name, password, confirm, want string
	}{
		{"short", "short", "short", "at least 10 characters"},
		{"overlong", strings.Repeat("é", 40), strings.Repeat("é", 40), "at most 72 bytes"},
		{"mismatch", newPassword, newPassword + "!", "The two passwords differ."},
	} {
		st, body := r.post(path, url.Values{"password": {tt.password}, "password_confirm": {tt.confirm}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, st, tt.want)
		}
	}
	if st, loc := r.post(path, url.Values{"password": {newPassword}, "password_confirm": {newPassword}}); st != http.StatusSeeOther || loc != "/console/login" {
		t.Fatalf("reset: %d %s", st, loc)
	}
	if _, body := r.get("/console/login"); !strings.Contains(body, "Your password is changed") {
		t.Error("no confirmation after the reset")
	}
	for _, p := range []string{path, second} {
		if st, body := r.get(p); st != http.StatusGone || !strings.Contains(body, "already used") {
			t.Errorf("GET %s after the reset: %d, want 410", p, st)
		}
	}
	if st, _ := r.post(path, url.Values{"password": {"yet another password"}, "password_confirm": {"yet another password"}}); st != http.StatusGone {
		t.Errorf("using the link twice: %d, want 410", st)
	}
	if st := f.newBrowser(t).login(f.a.owner.Email, password); st != http.StatusUnauthorized {
		t.Errorf("old password after the reset: %d, want 401", st)
	}
	if st := f.newBrowser(t).login(f.a.owner.Email, newPassword); st != http.StatusSeeOther {
		t.Errorf("new password: %d, want 303", st)
	}
	if st, loc := earlier.get("/console/alpha"); st != http.StatusSeeOther || !strings.Contains(loc, "/console/login") {
		t.Errorf("a session from before the reset: %d %s, want a redirect to login", st, loc)
	}
	if !f.auditHas(t, f.a.org, "user.password_reset", f.a.owner.Email) {
		t.Error("the reset is not in the audit log")
	}

	for _, p := range []string{"/console/password/reset/garbage", "/console/password/reset/" + strings.Repeat("a", 300)} {
		if st, body := r.get(p); st != http.StatusNotFound || !strings.Contains(body, "not valid") {
			t.Errorf("GET %.60s: %d, want 404", p, st)
		}
	}

	b.post("/console/password/forgot", url.Values{"email": {f.a.owner.Email}})
	expired := f.lastPath(t, "email.password_reset")
	if _, err := f.db.SQL().Exec(`UPDATE password_resets SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE token_hash = ?`,
		sha(strings.TrimPrefix(expired, "/console/password/reset/"))); err != nil {
		t.Fatal(err)
	}
	if st, body := r.get(expired); st != http.StatusGone || !strings.Contains(body, "expired") {
		t.Errorf("expired link: %d, want 410", st)
	}
	if st, _ := r.post(expired, url.Values{"password": {"yet another password"}, "password_confirm": {"yet another password"}}); st != http.StatusGone {
		t.Errorf("posting to an expired link: %d, want 410", st)
	}
	if st := f.newBrowser(t).login(f.a.owner.Email, newPassword); st != http.StatusSeeOther {
		t.Errorf("an expired link changed the password: %d", st)
	}
}

// TestPasswordForgotBadInput: an invalid address is a problem next to the
// field, and repeated requests for one address are rate-limited.
func TestPasswordForgotBadInput(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.get("/console/password/forgot")
	for _, email := range []string{"", "not-an-email", `<script>alert(1)</script>`} {
		st, body := b.post("/console/password/forgot", url.Values{"email": {email}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "name@example.com") || strings.Contains(body, "<script>alert(1)") {
			t.Errorf("email %q: %d", email, st)
		}
	}
	limited := false
	for range 7 {
		if st, _ := b.post("/console/password/forgot", url.Values{"email": {f.b.owner.Email}}); st == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("7 reset requests for one address were not rate-limited")
	}
	if n := len(f.outbox(t, "email.password_reset")); n > 5 {
		t.Errorf("%d reset emails queued for one address", n)
	}
}

// TestPasswordChange: the signed-in user changes their password with the
// current one; problems are shown next to the fields; afterwards the new
// password works, the old one does not, other sessions end and this one
// goes on.
func TestPasswordChange(t *testing.T) {
	f := mustFixture(t)
	if st, loc := f.newBrowser(t).get("/console/account/password"); st != http.StatusSeeOther || !strings.Contains(loc, "/console/login") {
		t.Errorf("anonymous: %d %s", st, loc)
	}
	other := f.newBrowser(t)
	other.mustLogin(f.a.owner.Email)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	if st, body := b.get("/console/alpha"); st != 200 || !strings.Contains(body, `href="/console/account/password"`) || !strings.Contains(body, `href="/console/alpha/team"`) {
		t.Errorf("owner's navigation lacks Account or Team: %d", st)
	}
	// A reset link sent before the change stops working.
	b.get("/console/password/forgot")
	b.post("/console/password/forgot", url.Values{"email": {f.a.owner.Email}})
	link := f.lastPath(t, "email.password_reset")

	if st, body := b.get("/console/account/password"); st != 200 || !strings.Contains(body, "Change your password") {
		t.Fatalf("form: %d", st)
	}
	for _, tt := range []struct {
		name                      string
		current, password, repeat string
		field, want               string
	}{
		{"wrong current", "not my password", newPassword, newPassword, "current_password", "This is not your current password."},
		{"no current", "", newPassword, newPassword, "current_password", "Enter your current password."},
		{"mismatch", password, newPassword, newPassword + "x", "password_confirm", "The two passwords differ."},
		{"short", password, "short", "short", "password", "Use at least 10 characters."},
		{"same", password, password, password, "password", "different from the current one"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.post("/console/account/password", url.Values{"current_password": {tt.current}, "password": {tt.password}, "password_confirm": {tt.repeat}})
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", st)
			}
			// The message sits right after its field.
			i := strings.Index(body, `name="`+tt.field+`"`)
			j := strings.Index(body, tt.want)
			if i < 0 || j < i || strings.Contains(body[i:j], "<label") {
				t.Errorf("%q is not next to %s", tt.want, tt.field)
			}
		})
	}
	if st := f.newBrowser(t).login(f.a.owner.Email, password); st != http.StatusSeeOther {
		t.Fatalf("refused changes altered the password: %d", st)
	}
	st, loc := b.post("/console/account/password", url.Values{"current_password": {password}, "password": {newPassword}, "password_confirm": {newPassword}})
	if st != http.StatusSeeOther || loc != "/console" {
		t.Fatalf("change: %d %s", st, loc)
	}
	if st, body := b.get("/console/alpha"); st != 200 || !strings.Contains(body, "Your password is changed") {
		t.Errorf("this browser after the change: %d", st)
	}
	if st, loc := other.get("/console/alpha"); st != http.StatusSeeOther || !strings.Contains(loc, "/console/login") {
		t.Errorf("another session after the change: %d %s, want a redirect to login", st, loc)
	}
	if st := f.newBrowser(t).login(f.a.owner.Email, password); st != http.StatusUnauthorized {
		t.Errorf("old password: %d, want 401", st)
	}
	if st := f.newBrowser(t).login(f.a.owner.Email, newPassword); st != http.StatusSeeOther {
		t.Errorf("new password: %d, want 303", st)
	}
	if st, _ := b.get(link); st != http.StatusGone {
		t.Errorf("a reset link sent before the change: %d, want 410", st)
	}
	if !f.auditHas(t, f.a.org, "user.password_changed", f.a.owner.Email) {
		t.Error("the change is not in the audit log")
	}
}
