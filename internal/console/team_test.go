package console_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// outboxRow is one queued side effect as a test reads it back.
type outboxRow struct {
	OrganizationID *int64
	Payload        map[string]any
}

// outbox returns the rows of kind, oldest first.
func (f *fixture) outbox(tb testing.TB, kind string) []outboxRow {
	tb.Helper()
	rows, err := f.db.SQL().Query(`SELECT organization_id, payload FROM outbox WHERE kind = ? ORDER BY id`, kind)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var list []outboxRow
	for rows.Next() {
		var r outboxRow
		var payload string
		if err := rows.Scan(&r.OrganizationID, &payload); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal([]byte(payload), &r.Payload); err != nil {
			tb.Fatal(err)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return list
}

// lastPath returns the link path of the latest outbox row of kind.
func (f *fixture) lastPath(tb testing.TB, kind string) string {
	tb.Helper()
	rows := f.outbox(tb, kind)
	if len(rows) == 0 {
		tb.Fatalf("no %s in the outbox", kind)
	}
	path, _ := rows[len(rows)-1].Payload["path"].(string)
	if path == "" {
		tb.Fatalf("%s payload has no path: %v", kind, rows[len(rows)-1].Payload)
	}
	return path
}

func (f *fixture) role(tb testing.TB, org *admit.Organization, userID int64) string {
	tb.Helper()
	var role string
	err := f.db.SQL().QueryRow(`SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?`, org.ID, userID).Scan(&role)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		tb.Fatal(err)
	}
	return role
}

func (f *fixture) owners(tb testing.TB, org *admit.Organization) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM memberships WHERE organization_id = ? AND role = 'owner'`, org.ID).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func (f *fixture) auditHas(tb testing.TB, org *admit.Organization, action, object string) bool {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE organization_id = ? AND action = ? AND object = ?`,
		org.ID, action, object).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n > 0
}

// login logs in with a password other than the fixture's and returns the
// status.
func (b *browser) login(email, pw string) int {
	b.tb.Helper()
	b.get("/console/login")
	st, _ := b.post("/console/login", url.Values{"email": {email}, "password": {pw}})
	return st
}

// TestTeamInviteBadInput: the invitation form shows each problem next to
// its field with the input kept and escaped, and queues nothing.
func TestTeamInviteBadInput(t *testing.T) {
	f := mustFixture(t)
	member := f.mustUser(t, f.a.org, "member@example.com", admit.RoleAdmin)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	if st, body := b.get("/console/alpha/team"); st != 200 || !strings.Contains(body, f.a.owner.Email) || !strings.Contains(body, member.Email) {
		t.Fatalf("team page: %d", st)
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"empty", url.Values{}, []string{"Enter the email address of the person to invite.", "Choose owner, admin or check-in."}},
		{"invalid email", url.Values{"email": {"not-an-email"}, "role": {"admin"}}, []string{"name@example.com", `value="not-an-email"`}},
		{"markup in email", url.Values{"email": {`<script>alert(1)</script>@example.com`}, "role": {"admin"}},
			[]string{"name@example.com", "&lt;script&gt;alert(1)&lt;/script&gt;@example.com"}},
		{"unknown role", url.Values{"email": {"new@example.com"}, "role": {"superuser"}}, []string{"Choose owner, admin or check-in.", `value="new@example.com"`}},
		{"member", url.Values{"email": {member.Email}, "role": {"checkin"}}, []string{"already a member"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.post("/console/alpha/team/invitations", tt.form)
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
	if n := len(f.outbox(t, "email.team_invitation")); n != 0 {
		t.Errorf("%d invitation emails queued after rejected forms", n)
	}
	if f.role(t, f.a.org, member.ID) != "admin" {
		t.Error("inviting a member changed their role")
	}
}

// TestTeamRoleChangeAndRemoval: an owner changes a member's role and
// removes them (refused on the member's next request); the last owner can
// be neither demoted nor removed; every change is in the audit log.
func TestTeamRoleChangeAndRemoval(t *testing.T) {
	f := mustFixture(t)
	staff := f.mustUser(t, f.a.org, "staff@example.com", admit.RoleAdmin)
	owner := f.newBrowser(t)
	owner.mustLogin(f.a.owner.Email)
	sb := f.newBrowser(t)
	sb.mustLogin(staff.Email)
	if st, _ := sb.get("/console/alpha/orders"); st != 200 {
		t.Fatalf("admin on orders: %d", st)
	}

	owner.get("/console/alpha/team")
	if st, loc := owner.post(fmt.Sprintf("/console/alpha/team/%d/role", staff.ID), url.Values{"role": {"checkin"}}); st != http.StatusSeeOther || loc != "/console/alpha/team" {
		t.Fatalf("role change: %d %s", st, loc)
	}
	if r := f.role(t, f.a.org, staff.ID); r != "checkin" {
		t.Fatalf("role is %q, want checkin", r)
	}
	if st, _ := sb.get("/console/alpha/orders"); st != http.StatusForbidden {
		t.Errorf("demoted to check-in, orders: %d, want 403", st)
	}
	if st, body := owner.get("/console/alpha/team"); st != 200 || !strings.Contains(body, "staff@example.com is now Check-in.") {
		t.Errorf("team page after the change: %d", st)
	}
	if st, body := owner.post(fmt.Sprintf("/console/alpha/team/%d/role", staff.ID), url.Values{"role": {"root"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose owner, admin or check-in.") {
		t.Errorf("unknown role: %d", st)
	}

	// The only owner can be neither demoted nor removed, even by themselves.
	for _, tt := range []struct {
		name string
		path string
		form url.Values
	}{
		{"demote", fmt.Sprintf("/console/alpha/team/%d/role", f.a.owner.ID), url.Values{"role": {"admin"}}},
		{"remove", fmt.Sprintf("/console/alpha/team/%d/remove", f.a.owner.ID), nil},
	} {
		st, body := owner.post(tt.path, tt.form)
		if st != http.StatusConflict || !strings.Contains(body, "at least one owner") {
			t.Errorf("%s the last owner: %d, want 409 with the reason", tt.name, st)
		}
	}
	if r := f.role(t, f.a.org, f.a.owner.ID); r != "owner" {
		t.Fatalf("last owner's role is %q", r)
	}

	if st, loc := owner.post(fmt.Sprintf("/console/alpha/team/%d/remove", staff.ID), nil); st != http.StatusSeeOther || loc != "/console/alpha/team" {
		t.Fatalf("removal: %d %s", st, loc)
	}
	if st, _ := sb.get("/console/alpha"); st != http.StatusNotFound {
		t.Errorf("removed member on the next request: %d, want 404", st)
	}
	if st, _ := owner.post(fmt.Sprintf("/console/alpha/team/%d/remove", staff.ID), nil); st != http.StatusNotFound {
		t.Errorf("removing a former member: %d, want 404", st)
	}

	// With a second owner, the first may step down.
	second := f.mustUser(t, f.a.org, "second@example.com", admit.RoleOwner)
	if st, loc := owner.post(fmt.Sprintf("/console/alpha/team/%d/role", f.a.owner.ID), url.Values{"role": {"admin"}}); st != http.StatusSeeOther || loc != "/console/alpha" {
		t.Fatalf("stepping down with another owner: %d %s", st, loc)
	}
	if st, _ := owner.get("/console/alpha/team"); st != http.StatusForbidden {
		t.Errorf("former owner on the team page: %d, want 403", st)
	}
	if f.role(t, f.a.org, second.ID) != "owner" || f.owners(t, f.a.org) != 1 {
		t.Error("the second owner is not the only owner")
	}

	for _, a := range []struct{ action, object string }{
		{"member.role_changed", "staff@example.com"},
		{"member.removed", "staff@example.com"},
		{"member.role_changed", f.a.owner.Email},
	} {
		if !f.auditHas(t, f.a.org, a.action, a.object) {
			t.Errorf("audit log lacks %s %s", a.action, a.object)
		}
	}
}

// TestTeamLastOwnerConcurrent: owners removing or demoting each other at
// the same moment never leave an organization without an owner. Each
// round starts with several owners, and every owner is the target of one
// of the racing changes: without the guard, all would succeed.
func TestTeamLastOwnerConcurrent(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	const n = 6
	var ids []int64
	for i := range n {
		ids = append(ids, f.mustUser(t, f.b.org, fmt.Sprintf("owner%d@example.com", i), admit.RoleOwner).ID)
	}
	ids = append(ids, f.b.owner.ID)

	for round := range 6 {
		for _, id := range ids {
			if err := f.db.AddMembership(ctx, admit.Membership{OrganizationID: f.b.org.ID, UserID: id, Role: admit.RoleOwner}); err != nil {
				t.Fatal(err)
			}
		}
		demote := round%2 == 1
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, len(ids))
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				by := ids[(i+1)%len(ids)]
				if demote {
					_, errs[i] = f.db.ChangeMemberRole(ctx, f.b.org.ID, id, admit.RoleCheckIn, by)
				} else {
					_, errs[i] = f.db.RemoveMember(ctx, f.b.org.ID, id, by)
				}
			}()
		}
		close(start)
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch admit.ErrorCode(err) {
			case "":
			case admit.ECONFLICT:
				refused++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if got := f.owners(t, f.b.org); got != 1 || refused != 1 {
			t.Fatalf("round %d (demote %v): %d owners left, %d changes refused; want 1 and 1", round, demote, got, refused)
		}
	}

	// The same through the console: two owners remove each other at once.
	other := f.mustUser(t, f.a.org, "co-owner@example.com", admit.RoleOwner)
	first, second := f.newBrowser(t), f.newBrowser(t)
	first.mustLogin(f.a.owner.Email)
	second.mustLogin(other.Email)
	first.get("/console/alpha/team")
	second.get("/console/alpha/team")
	for round := range 5 {
		for _, id := range []int64{f.a.owner.ID, other.ID} {
			if err := f.db.AddMembership(ctx, admit.Membership{OrganizationID: f.a.org.ID, UserID: id, Role: admit.RoleOwner}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		statuses := make([]int, 2)
		for i, pair := range []struct {
			b      *browser
			target int64
		}{{first, other.ID}, {second, f.a.owner.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = pair.b.postConcurrently(fmt.Sprintf("/console/alpha/team/%d/remove", pair.target))
			}()
		}
		close(start)
		wg.Wait()
		if got := f.owners(t, f.a.org); got != 1 {
			t.Fatalf("round %d: %d owners after two owners removed each other (statuses %v)", round, got, statuses)
		}
		ok := 0
		for _, st := range statuses {
			if st == http.StatusSeeOther {
				ok++
			}
		}
		// The loser is either refused (409) or already removed (404).
		if ok != 1 {
			t.Errorf("round %d: statuses %v, want exactly one removal", round, statuses)
		}
	}
}

// postConcurrently posts an empty form from a goroutine other than the
// test's and returns the status (0 if the request failed).
func (b *browser) postConcurrently(path string) int {
	resp, err := b.client.PostForm(b.base+path, url.Values{"_csrf": {b.csrf}})
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestTeamTenantIsolation: beta's owner gets 404 for alpha's team and for
// alpha's members and invitations through either organization's URLs, and
// changes nothing; an admin of alpha gets 403 on the owners' routes.
func TestTeamTenantIsolation(t *testing.T) {
	f := mustFixture(t)
	admin := f.mustUser(t, f.a.org, "admin@example.com", admit.RoleAdmin)
	owner := f.newBrowser(t)
	owner.mustLogin(f.a.owner.Email)
	owner.get("/console/alpha/team")
	if st, _ := owner.post("/console/alpha/team/invitations", url.Values{"email": {"guest@example.com"}, "role": {"admin"}}); st != http.StatusSeeOther {
		t.Fatalf("invite: %d", st)
	}
	inv := int64(f.outbox(t, "email.team_invitation")[0].Payload["invitation_id"].(float64))

	b := f.newBrowser(t)
	b.mustLogin(f.b.owner.Email)
	if st, body := b.get("/console/alpha/team"); st != http.StatusNotFound || strings.Contains(body, "guest@example.com") {
		t.Errorf("GET alpha's team as beta's owner: %d", st)
	}
	if st, body := b.get("/console/beta/team"); st != 200 || strings.Contains(body, "guest@example.com") || strings.Contains(body, admin.Email) {
		t.Errorf("beta's own team page: %d, or shows alpha's people", st)
	}
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/console/alpha/team/invitations", url.Values{"email": {"x@example.com"}, "role": {"owner"}}},
		{fmt.Sprintf("/console/alpha/team/invitations/%d/revoke", inv), nil},
		{fmt.Sprintf("/console/beta/team/invitations/%d/revoke", inv), nil},
		{fmt.Sprintf("/console/alpha/team/%d/role", admin.ID), url.Values{"role": {"owner"}}},
		{fmt.Sprintf("/console/beta/team/%d/role", admin.ID), url.Values{"role": {"owner"}}},
		{fmt.Sprintf("/console/beta/team/%d/role", f.a.owner.ID), url.Values{"role": {"checkin"}}},
		{fmt.Sprintf("/console/alpha/team/%d/remove", admin.ID), nil},
		{fmt.Sprintf("/console/beta/team/%d/remove", admin.ID), nil},
		{fmt.Sprintf("/console/beta/team/%d/remove", f.a.owner.ID), nil},
	} {
		if st, _ := b.post(tt.path, tt.form); st != http.StatusNotFound {
			t.Errorf("POST %s as beta's owner: %d, want 404", tt.path, st)
		}
	}
	if f.role(t, f.a.org, admin.ID) != "admin" || f.role(t, f.a.org, f.a.owner.ID) != "owner" {
		t.Error("beta's owner changed alpha's members")
	}
	if st, body := owner.get("/console/alpha/team"); st != 200 || !strings.Contains(body, "guest@example.com") {
		t.Error("alpha's invitation is gone after beta's attempts")
	}
	if n := len(f.outbox(t, "email.team_invitation")); n != 1 {
		t.Errorf("%d invitations queued, want alpha's one", n)
	}

	ab := f.newBrowser(t)
	ab.mustLogin(admin.Email)
	st, body := ab.get("/console/alpha")
	if st != 200 || strings.Contains(body, "/console/alpha/team") {
		t.Errorf("admin's events page: %d, or it links to the team page", st)
	}
	if st, _ := ab.get("/console/alpha/team"); st != http.StatusForbidden {
		t.Errorf("admin GET team: %d, want 403", st)
	}
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/console/alpha/team/invitations", url.Values{"email": {"y@example.com"}, "role": {"owner"}}},
		{fmt.Sprintf("/console/alpha/team/invitations/%d/revoke", inv), nil},
		{fmt.Sprintf("/console/alpha/team/%d/role", admin.ID), url.Values{"role": {"owner"}}},
		{fmt.Sprintf("/console/alpha/team/%d/remove", f.a.owner.ID), nil},
	} {
		if st, _ := ab.post(tt.path, tt.form); st != http.StatusForbidden {
			t.Errorf("admin POST %s: %d, want 403", tt.path, st)
		}
	}
	if f.role(t, f.a.org, admin.ID) != "admin" || f.owners(t, f.a.org) != 1 {
		t.Error("an admin changed roles")
	}
}

// TestTeamStoreScoped: the storage methods themselves refuse another
// organization's members and invitations.
func TestTeamStoreScoped(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	inv := &admit.Invitation{OrganizationID: f.a.org.ID, Email: "z@example.com", Role: admit.RoleAdmin, InvitedBy: f.a.owner.ID}
	if err := f.db.CreateInvitation(ctx, inv, "token", "/console/invitations/token"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.RevokeInvitation(ctx, f.b.org.ID, inv.ID, f.b.owner.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("revoking another organization's invitation: %v", err)
	}
	if _, err := f.db.RemoveMember(ctx, f.b.org.ID, f.a.owner.ID, f.b.owner.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("removing another organization's member: %v", err)
	}
	if _, err := f.db.ChangeMemberRole(ctx, f.b.org.ID, f.a.owner.ID, admit.RoleAdmin, f.b.owner.ID); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("changing another organization's member: %v", err)
	}
	list, err := f.db.ListInvitations(ctx, f.b.org.ID)
	if err != nil || len(list) != 0 {
		t.Errorf("beta's invitations: %v %v", list, err)
	}
	var stored int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM invitations WHERE token_hash = ?`, "token").Scan(&stored)
	if stored != 0 {
		t.Error("the invitation token is stored in clear")
	}
}
