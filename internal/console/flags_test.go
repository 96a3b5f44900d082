package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/console"
	"github.com/admithq/admit/internal/flags"
)

const (
	operatorEmail = "ops@example.com"
	flagPage      = "/console/admin/flags"
	lowStockPost  = flagPage + "/" + admit.FlagLowStockNotice
)

// mustFlagsFixture is the console with one operator, ops@example.com (a
// check-in member of alpha: operating the installation has nothing to do
// with a role in an organization), given in another case as the setting
// may be.
func mustFlagsFixture(tb testing.TB) (*fixture, *browser) {
	tb.Helper()
	f := mustFixtureWith(tb, 4, console.Options{Operators: []string{"nobody@example.com", "OPS@Example.com"}})
	f.mustUser(tb, f.a.org, operatorEmail, admit.RoleCheckIn)
	ops := f.newBrowser(tb)
	ops.mustLogin(operatorEmail)
	return f, ops
}

func (f *fixture) flag(tb testing.TB, name string) string {
	tb.Helper()
	list, err := f.db.ListFlags(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, fl := range admit.OperatorFlags(list) {
		if fl.Name == name {
			return fl.String()
		}
	}
	return ""
}

func (f *fixture) flagChanges(tb testing.TB) []admit.FlagChange {
	tb.Helper()
	changes, err := f.db.FlagChanges(context.Background(), 1000)
	if err != nil {
		tb.Fatal(err)
	}
	return changes
}

// TestFlagsOperatorChangesAFlag: an operator finds every flag on the page,
// the known one never set and a stored one this version does not know
// (naming a slug no organization has, which the page points out), names
// two organizations for the known one, and sees the change on the
// page; the checkout's flags see it once their cache has run out, and the
// flag's audit has the change with the operator's address, as the CLI's.
func TestFlagsOperatorChangesAFlag(t *testing.T) {
	f, ops := mustFlagsFixture(t)
	ctx := context.Background()
	legacy, _ := admit.ParseFlag("checkout.legacy_banner", "beta,nobody-yet")
	if _, err := f.db.SetFlag(ctx, legacy, "alice"); err != nil {
		t.Fatal(err)
	}
	st, body := ops.get("/console/alpha")
	if st != http.StatusOK || !strings.Contains(body, `href="`+flagPage+`"`) {
		t.Fatalf("the operator's console: %d, menu without the flags page", st)
	}
	st, body = ops.get(flagPage)
	if st != http.StatusOK {
		t.Fatalf("flags page: %d", st)
	}
	for _, want := range []string{
		`id="flag-checkout.low_stock_notice"`, "never changed",
		`id="flag-checkout.legacy_banner"`, "No code in this version asks about this flag.", "by alice (was off)",
		"no organization has the slug <code>nobody-yet</code>",
		`aria-current="page">Feature flags</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("flags page lacks %q", want)
		}
	}
	if i, j := strings.Index(body, `id="flag-checkout.low_stock_notice"`), strings.Index(body, `id="flag-checkout.legacy_banner"`); i > j {
		t.Error("the flag the code asks about is not listed first")
	}

	checkout := flags.New(f.db, 200*time.Millisecond, nil)
	if checkout.On(ctx, admit.FlagLowStockNotice, f.a.org.ID, "") {
		t.Fatal("the flag is on before anyone set it")
	}
	st, loc := ops.post(lowStockPost, url.Values{"setting": {" Alpha, beta "}})
	if st != http.StatusSeeOther || loc != flagPage {
		t.Fatalf("set: %d %s", st, loc)
	}
	st, body = ops.get(flagPage)
	for _, want := range []string{
		"checkout.low_stock_notice: off -&gt; alpha,beta. Every server follows within 5 seconds.",
		"on for <code>alpha</code>, <code>beta</code>", "by " + operatorEmail + " (was off)", `value="alpha,beta"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("after the change the page lacks %q", want)
		}
	}
	if got := f.flag(t, admit.FlagLowStockNotice); got != "alpha,beta" {
		t.Errorf("stored setting %q, want alpha,beta", got)
	}
	time.Sleep(250 * time.Millisecond)
	// By id alone, as the checkout's steps ask: storage resolved the slugs.
	if !checkout.On(ctx, admit.FlagLowStockNotice, f.a.org.ID, "") || !checkout.On(ctx, admit.FlagLowStockNotice, f.b.org.ID, "beta") {
		t.Error("after the cache period the checkout does not see the flag on for alpha and beta")
	}
	if checkout.On(ctx, admit.FlagLowStockNotice, f.a.org.ID+f.b.org.ID+1000, "gamma") {
		t.Error("the flag is on for an organization not named")
	}
	want := []admit.FlagChange{
		{Name: admit.FlagLowStockNotice, Old: "off", New: "alpha,beta", By: operatorEmail},
		{Name: "checkout.legacy_banner", Old: "off", New: "beta,nobody-yet", By: "alice"},
	}
	if diff := cmp.Diff(want, f.flagChanges(t), cmpopts.IgnoreFields(admit.FlagChange{}, "At")); diff != "" {
		t.Errorf("flag audit (-want +got):\n%s", diff)
	}
	// A stored flag the code no longer asks about can be turned off.
	if st, _ := ops.post(flagPage+"/checkout.legacy_banner", url.Values{"setting": {"off"}}); st != http.StatusSeeOther {
		t.Errorf("turning off an unknown stored flag: %d", st)
	}
	if got := f.flag(t, "checkout.legacy_banner"); got != "off" {
		t.Errorf("legacy flag %q, want off", got)
	}
}

// TestFlagsWideningToAllAsksFirst: "all" changes nothing until the operator
// confirms it on a page that says what it will do; narrowing does not ask.
func TestFlagsWideningToAllAsksFirst(t *testing.T) {
	f, ops := mustFlagsFixture(t)
	ops.get(flagPage)
	if st, _ := ops.post(lowStockPost, url.Values{"setting": {"10%"}}); st != http.StatusSeeOther {
		t.Fatalf("10%%: %d", st)
	}
	st, body := ops.post(lowStockPost, url.Values{"setting": {"ALL"}})
	if st != http.StatusOK || !strings.Contains(body, "Turn checkout.low_stock_notice on for everyone") ||
		!strings.Contains(body, "Now: on for 10% of organizations") || !strings.Contains(body, `name="confirm" value="1"`) {
		t.Fatalf("widening to all: %d, no confirmation page", st)
	}
	if got := f.flag(t, admit.FlagLowStockNotice); got != "10%" {
		t.Fatalf("before the confirmation the flag is %q, want 10%%", got)
	}
	if st, loc := ops.post(lowStockPost, url.Values{"setting": {"ALL"}, "confirm": {"1"}}); st != http.StatusSeeOther || loc != flagPage {
		t.Fatalf("confirmed: %d %s", st, loc)
	}
	if got := f.flag(t, admit.FlagLowStockNotice); got != "all" {
		t.Fatalf("after the confirmation the flag is %q, want all", got)
	}
	if st, _ := ops.post(lowStockPost, url.Values{"setting": {"off"}}); st != http.StatusSeeOther {
		t.Errorf("narrowing to off asked first or failed: %d", st)
	}
	if n := len(f.flagChanges(t)); n != 3 {
		t.Errorf("%d changes audited, want 3 (10%%, all, off)", n)
	}
}

// TestFlagsBadInput: a setting the CLI would refuse re-renders the page
// with the operator's input and the problem next to that flag's field, and
// changes nothing; a flag the page does not list is not found.
func TestFlagsBadInput(t *testing.T) {
	f, ops := mustFlagsFixture(t)
	ops.get(flagPage)
	for _, tt := range []struct{ name, setting, problem string }{
		{"too much", "101%", "A percentage is a whole number from 0% to 100%."},
		{"not a slug", "alpha,<b>x</b>", `"<b>x</b>" is not an organization's slug.`},
		{"empty", "  ", "Set a flag to all, off, a percentage like 10%, or organizations' slugs like org1,org2."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := ops.post(lowStockPost, url.Values{"setting": {tt.setting}})
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("%q: %d, want 422", tt.setting, st)
			}
			field := `<input id="setting-checkout.low_stock_notice" name="setting" value="` + html.EscapeString(tt.setting) + `"`
			problem := `<p class="error" role="alert" id="setting-checkout.low_stock_notice-problem">` + html.EscapeString(tt.problem) + `</p>`
			i, j := strings.Index(body, field), strings.Index(body, problem)
			if i < 0 || j < i || !strings.Contains(body[i:j], `aria-invalid="true"`) {
				t.Errorf("%q: the field with the input and the problem after it are not on the page", tt.setting)
			}
			if strings.Contains(body, "<b>x</b>") {
				t.Error("the input is not escaped")
			}
		})
	}
	if st, _ := ops.post(flagPage+"/checkout.made_up", url.Values{"setting": {"all"}, "confirm": {"1"}}); st != http.StatusNotFound {
		t.Errorf("a flag nobody knows or stored: %d, want 404", st)
	}
	if n := len(f.flagChanges(t)); n != 0 || f.flag(t, admit.FlagLowStockNotice) != "off" {
		t.Errorf("bad input changed something: %d changes, flag %q", n, f.flag(t, admit.FlagLowStockNotice))
	}
}

// TestFlagsNonOperators: an organization's owner, signed in, gets the same
// 404 for the page and its form as for a console URL that does not exist,
// and no menu link; a post without the CSRF token is refused too.
func TestFlagsNonOperators(t *testing.T) {
	f, ops := mustFlagsFixture(t)
	owner := f.newBrowser(t)
	owner.mustLogin(f.a.owner.Email)
	for _, path := range []string{"/console/alpha", "/console/alpha/orders", "/console/account/password"} {
		if st, body := owner.get(path); st != http.StatusOK || strings.Contains(body, flagPage) || strings.Contains(body, "Feature flags") {
			t.Errorf("%s for an owner: %d, or it links to the flags page", path, st)
		}
	}
	_, missing := owner.get("/console/admin/nothing-here")
	if !strings.Contains(missing, "Not found") {
		t.Fatalf("a missing console page says %q", missing)
	}
	st, body := owner.get(flagPage)
	if st != http.StatusNotFound || body != missing {
		t.Errorf("flags page for an owner: %d, want the 404 of a missing page\n%s", st, cmp.Diff(missing, body))
	}
	owner.get("/console/alpha")
	for _, setting := range []string{"all", "10%"} {
		st, body = owner.post(lowStockPost, url.Values{"setting": {setting}, "confirm": {"1"}})
		if st != http.StatusNotFound || body != missing {
			t.Errorf("posting %s as an owner: %d, want the 404 of a missing page", setting, st)
		}
	}
	ops.get(flagPage)
	if st, _ := ops.post(lowStockPost, url.Values{"setting": {"10%"}, "_csrf": {"forged"}}); st != http.StatusForbidden {
		t.Errorf("an operator's post without its CSRF token: %d, want 403", st)
	}
	anonymous := f.newBrowser(t)
	if st, loc := anonymous.get(flagPage); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login") {
		t.Errorf("signed out: %d %s, want the way to the login page", st, loc)
	}
	if n := len(f.flagChanges(t)); n != 0 || f.flag(t, admit.FlagLowStockNotice) != "off" {
		t.Errorf("non-operators changed something: %d changes, flag %q", n, f.flag(t, admit.FlagLowStockNotice))
	}
}

// TestFlagsConcurrentChanges: operators changing one flag at once each get
// their change recorded once, in an unbroken chain: every change starts
// from the setting the one before it left, and the flag ends as the last.
func TestFlagsConcurrentChanges(t *testing.T) {
	f, _ := mustFlagsFixture(t)
	const n = 12
	browsers := make([]*browser, n)
	for i := range browsers {
		browsers[i] = f.newBrowser(t)
		browsers[i].mustLogin(operatorEmail)
		browsers[i].get(flagPage)
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i, b := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = b.post(lowStockPost, url.Values{"setting": {fmt.Sprintf("%d%%", i+1)}})
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusSeeOther {
			t.Errorf("change %d: %d", i, st)
		}
	}
	changes := f.flagChanges(t) // newest first
	if len(changes) != n {
		t.Fatalf("%d changes audited, want %d", len(changes), n)
	}
	prev := "off"
	seen := map[string]bool{}
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		if c.Old != prev || seen[c.New] {
			t.Errorf("change %s -> %s follows %s", c.Old, c.New, prev)
		}
		prev, seen[c.New] = c.New, true
	}
	if got := f.flag(t, admit.FlagLowStockNotice); got != prev {
		t.Errorf("flag %q, want the last change's %q", got, prev)
	}
}
