package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// mustInvite invites email to alpha with role through the owner's browser
// and returns the invitation's link path from the outbox.
func (f *fixture) mustInvite(tb testing.TB, owner *browser, email, role string) string {
	tb.Helper()
	owner.get("/console/alpha/team")
	if st, loc := owner.post("/console/alpha/team/invitations", url.Values{"email": {email}, "role": {role}}); st != http.StatusSeeOther || loc != "/console/alpha/team" {
		tb.Fatalf("invite %s: %d %s", email, st, loc)
	}
	return f.lastPath(tb, "email.team_invitation")
}

// TestInvitationNewUser: an invitation queues its email; the person
// creates an account with it (problems shown, input kept and escaped), joins
// with the invited role and can log in; the link works once.
func TestInvitationNewUser(t *testing.T) {
	f := mustFixture(t)
	owner := f.newBrowser(t)
	owner.mustLogin(f.a.owner.Email)
	path := f.mustInvite(t, owner, " New.Person@Example.com", "checkin")
	if st, body := owner.get("/console/alpha/team"); st != 200 || !strings.Contains(body, "Invitation sent to new.person@example.com.") ||
		!strings.Contains(body, "<td>new.person@example.com</td><td>Check-in</td><td>alpha@example.com</td>") {
		t.Errorf("team page after inviting: %d", st)
	}
	rows := f.outbox(t, "email.team_invitation")
	if len(rows) != 1 || rows[0].OrganizationID == nil || *rows[0].OrganizationID != f.a.org.ID || rows[0].Payload["invitation_id"] == nil {
		t.Fatalf("invitation outbox rows: %+v", rows)
	}
	if !strings.HasPrefix(path, "/console/invitations/") {
		t.Fatalf("invitation path %q", path)
	}

	n := f.newBrowser(t)
	if st, body := n.get(path); st != 200 || !strings.Contains(body, "Join ALPHA") || !strings.Contains(body, "Check-in") || !strings.Contains(body, `name="name"`) {
		t.Fatalf("invitation page: %d", st)
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"empty", url.Values{}, []string{"Your name is required.", "Use at least 10 characters."}},
		{"overlong name", url.Values{"name": {strings.Repeat("n", 201)}, "password": {newPassword}, "password_confirm": {newPassword}}, []string{"At most 200 characters."}},
		{"markup kept escaped", url.Values{"name": {`<script>alert(1)</script>`}, "password": {"short"}, "password_confirm": {"short"}},
			[]string{`value="&lt;script&gt;alert(1)&lt;/script&gt;"`, "Use at least 10 characters."}},
		{"mismatch", url.Values{"name": {"New Person"}, "password": {newPassword}, "password_confirm": {"something else"}}, []string{"The two passwords differ.", `value="New Person"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := n.post(path, tt.form)
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", st)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, "<script>alert(1)") {
				t.Error("markup from the form is rendered unescaped")
			}
		})
	}
	if _, err := f.db.FindUserByEmail(context.Background(), "new.person@example.com"); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Fatalf("an account exists after rejected forms: %v", err)
	}

	name := `<script>alert(1)</script> Person`
	if st, loc := n.post(path, url.Values{"name": {name}, "password": {newPassword}, "password_confirm": {newPassword}}); st != http.StatusSeeOther || loc != "/console/alpha" {
		t.Fatalf("accept: %d %s", st, loc)
	}
	u, err := f.db.FindUserByEmail(context.Background(), "new.person@example.com")
	if err != nil || u.Name != name {
		t.Fatalf("new user: %+v %v", u, err)
	}
	if r := f.role(t, f.a.org, u.ID); r != "checkin" {
		t.Errorf("role %q, want checkin", r)
	}
	if st, body := n.get("/console/alpha"); st != 200 || !strings.Contains(body, "Welcome to ALPHA") || strings.Contains(body, `/console/alpha/team"`) {
		t.Errorf("new member's first page: %d", st)
	}
	fresh := f.newBrowser(t)
	if st := fresh.login("new.person@example.com", newPassword); st != http.StatusSeeOther {
		t.Fatalf("new member's login: %d", st)
	}
	if st, _ := fresh.get("/console/alpha"); st != 200 {
		t.Errorf("new member on alpha: %d", st)
	}
	if st, _ := fresh.get("/console/alpha/orders"); st != http.StatusForbidden {
		t.Errorf("check-in member on orders: %d, want 403", st)
	}
	if st, _ := fresh.get("/console/beta"); st != http.StatusNotFound {
		t.Errorf("new member on beta: %d, want 404", st)
	}

	for _, b := range []*browser{fresh, f.newBrowser(t)} {
		if st, body := b.get(path); st != http.StatusGone || !strings.Contains(body, "already accepted") {
			t.Errorf("the used link: %d, want 410", st)
		}
	}
	if st, _ := n.post(path, url.Values{"name": {"Again"}, "password": {newPassword}, "password_confirm": {newPassword}}); st != http.StatusGone {
		t.Errorf("accepting twice: %d, want 410", st)
	}
	st, body := owner.get("/console/alpha/team")
	if st != 200 || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; Person") || strings.Contains(body, "<script>alert(1)") {
		t.Errorf("team page with the new member: %d, name not escaped", st)
	}
	if !strings.Contains(body, "No pending invitations.") {
		t.Error("the accepted invitation is still pending")
	}
	for _, action := range []string{"invitation.created", "invitation.accepted"} {
		if !f.auditHas(t, f.a.org, action, "new.person@example.com") {
			t.Errorf("audit log lacks %s", action)
		}
	}
}

// TestInvitationExistingUser: someone who has an account logs in as the
// invited address to accept; nobody else can accept for them.
func TestInvitationExistingUser(t *testing.T) {
	f := mustFixture(t)
	owner := f.newBrowser(t)
	owner.mustLogin(f.a.owner.Email)
	path := f.mustInvite(t, owner, f.b.owner.Email, "admin")

	anon := f.newBrowser(t)
	if st, body := anon.get(path); st != 200 || !strings.Contains(body, "Log in as beta@example.com") || strings.Contains(body, `name="password"`) {
		t.Errorf("invitation page for an existing account: %d", st)
	}
	if st, _ := anon.post(path, url.Values{"name": {"Intruder"}, "password": {newPassword}, "password_confirm": {newPassword}}); st != http.StatusForbidden {
		t.Errorf("accepting without logging in: %d, want 403", st)
	}
	someone := f.mustUser(t, f.b.org, "someone@example.com", admit.RoleCheckIn)
	x := f.newBrowser(t)
	x.mustLogin(someone.Email)
	if st, body := x.get(path); st != 200 || !strings.Contains(body, "You are logged in as someone@example.com") {
		t.Errorf("invitation page for another user: %d", st)
	}
	if st, _ := x.post(path, nil); st != http.StatusForbidden {
		t.Errorf("accepting as another user: %d, want 403", st)
	}
	if f.role(t, f.a.org, f.b.owner.ID) != "" || f.role(t, f.a.org, someone.ID) != "" {
		t.Fatal("someone joined without being the invited user")
	}

	y := f.newBrowser(t)
	y.get("/console/login?next=" + url.QueryEscape(path))
	if st, loc := y.post("/console/login", url.Values{"email": {f.b.owner.Email}, "password": {password}, "next": {path}}); st != http.StatusSeeOther || loc != path {
		t.Fatalf("login on the way to the invitation: %d %s", st, loc)
	}
	if st, body := y.get(path); st != 200 || !strings.Contains(body, "Accept the invitation") {
		t.Fatalf("invitation page for the invited user: %d", st)
	}
	if st, loc := y.post(path, nil); st != http.StatusSeeOther || loc != "/console/alpha" {
		t.Fatalf("accept: %d %s", st, loc)
	}
	if r := f.role(t, f.a.org, f.b.owner.ID); r != "admin" {
		t.Errorf("role in alpha %q, want admin", r)
	}
	if r := f.role(t, f.b.org, f.b.owner.ID); r != "owner" {
		t.Errorf("role in beta %q, want owner still", r)
	}
	if st, _ := y.get("/console/alpha/orders"); st != 200 {
		t.Errorf("new admin on alpha's orders: %d", st)
	}
}

// TestInvitationRevokedExpiredReplaced: a withdrawn, expired, replaced or
// unknown link is refused with a clear page and creates nothing.
func TestInvitationRevokedExpiredReplaced(t *testing.T) {
	f := mustFixture(t)
	owner := f.newBrowser(t)
	owner.mustLogin(f.a.owner.Email)
	first := f.mustInvite(t, owner, "guest@example.com", "admin")
	second := f.mustInvite(t, owner, "guest@example.com", "owner")
	v := f.newBrowser(t)
	v.get("/console/login") // a form's CSRF token, for the posts below
	if st, body := v.get(first); st != http.StatusGone || !strings.Contains(body, "withdrawn") {
		t.Errorf("a replaced link: %d, want 410", st)
	}
	list, err := f.db.ListInvitations(context.Background(), f.a.org.ID)
	if err != nil || len(list) != 1 || list[0].Role != admit.RoleOwner {
		t.Fatalf("pending after a second invitation: %+v %v", list, err)
	}
	revoke := "/console/alpha/team/invitations/" + strconv.FormatInt(list[0].ID, 10) + "/revoke"
	if st, loc := owner.post(revoke, nil); st != http.StatusSeeOther || loc != "/console/alpha/team" {
		t.Fatalf("revoke: %d %s", st, loc)
	}
	if st, _ := owner.post(revoke, nil); st != http.StatusConflict {
		t.Errorf("revoking twice: %d, want 409", st)
	}
	if st, _ := owner.post("/console/alpha/team/invitations/999999/revoke", nil); st != http.StatusNotFound {
		t.Errorf("revoking an unknown invitation: %d, want 404", st)
	}
	if st, body := v.get(second); st != http.StatusGone || !strings.Contains(body, "withdrawn") {
		t.Errorf("a withdrawn link: %d, want 410", st)
	}
	if st, _ := v.post(second, url.Values{"name": {"Guest"}, "password": {newPassword}, "password_confirm": {newPassword}}); st != http.StatusGone {
		t.Errorf("accepting a withdrawn invitation: %d, want 410", st)
	}

	third := f.mustInvite(t, owner, "late@example.com", "checkin")
	if _, err := f.db.SQL().Exec(`UPDATE invitations SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE email = 'late@example.com'`); err != nil {
		t.Fatal(err)
	}
	if st, body := v.get(third); st != http.StatusGone || !strings.Contains(body, "expired") {
		t.Errorf("an expired link: %d, want 410", st)
	}
	if st, _ := v.post(third, url.Values{"name": {"Late"}, "password": {newPassword}, "password_confirm": {newPassword}}); st != http.StatusGone {
		t.Errorf("accepting an expired invitation: %d, want 410", st)
	}
	if st, body := v.get("/console/invitations/garbage"); st != http.StatusNotFound || !strings.Contains(body, "not valid") {
		t.Errorf("an unknown link: %d, want 404", st)
	}
	for _, email := range []string{"guest@example.com", "late@example.com"} {
		if _, err := f.db.FindUserByEmail(context.Background(), email); admit.ErrorCode(err) != admit.ENOTFOUND {
			t.Errorf("%s has an account: %v", email, err)
		}
	}
	if !f.auditHas(t, f.a.org, "invitation.revoked", "guest@example.com") {
		t.Error("the withdrawal is not in the audit log")
	}
}

// TestInvitationNeverDemotes: someone who became a member after being
// invited keeps their role when they accept, so an invitation cannot take
// away an organization's last owner.
func TestInvitationNeverDemotes(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	inv := &admit.Invitation{OrganizationID: f.a.org.ID, Email: f.b.owner.Email, Role: admit.RoleCheckIn, InvitedBy: f.a.owner.ID}
	if err := f.db.CreateInvitation(ctx, inv, "late-token", "/console/invitations/late-token"); err != nil {
		t.Fatal(err)
	}
	if err := f.db.AddMembership(ctx, admit.Membership{OrganizationID: f.a.org.ID, UserID: f.b.owner.ID, Role: admit.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.RemoveMember(ctx, f.a.org.ID, f.a.owner.ID, f.b.owner.ID); err != nil {
		t.Fatal(err)
	}
	_, joined, err := f.db.AcceptInvitation(ctx, "late-token", f.b.owner)
	if err != nil || joined {
		t.Fatalf("accept as a member: joined %v, %v", joined, err)
	}
	if r := f.role(t, f.a.org, f.b.owner.ID); r != "owner" || f.owners(t, f.a.org) != 1 {
		t.Errorf("role %q after accepting a check-in invitation, want owner", r)
	}
}
