package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admithq/admit/internal/admit"
)

// TestBrowserOperatorSetsAFlag: the demo organizer, an operator here, finds
// the flags page in the menu, names an organization for the low-stock
// notice, is told what is wrong with a bad setting next to the field,
// confirms turning the flag on for everyone, and sees each state; every
// page on the way fits a phone's 390 px and a desktop's 1280 px.
func TestBrowserOperatorSetsAFlag(t *testing.T) {
	s := mustSecureStack(t, map[string]string{"ADMIT_OPERATORS": demoEmail})
	// Longer than one checkout's allowance: about ten pages, each looked
	// at twice, on a machine that may be busy.
	b := mustBrowserWithin(t, 2*time.Minute)
	mustLoginDemo(t, b, s)
	mustFollow(t, b, "Feature flags")
	mustFitPhoneAndDesktop(t, b, "feature flags")
	field := chromedp.CSS(`input[id="setting-` + admit.FlagLowStockNotice + `"]`)
	set := chromedp.CSS(`li[id="flag-` + admit.FlagLowStockNotice + `"] button[type=submit]`)

	mustDo(t, b, chromedp.SetValue(field, "demo"))
	mustClick(t, b, set, 200)
	mustFlash(t, b, admit.FlagLowStockNotice+": off -> demo.")
	if state := mustText(t, b, `li[id="flag-`+admit.FlagLowStockNotice+`"] dd`); state != "on for demo" {
		t.Errorf("the flag's state reads %q, want on for demo", state)
	}

	mustDo(t, b, chromedp.SetValue(field, "a whole lot%"))
	mustClick(t, b, set, 422)
	if problem := mustText(t, b, `p[id="setting-`+admit.FlagLowStockNotice+`-problem"]`); !strings.Contains(problem, "A percentage is a whole number") {
		t.Errorf("next to the field: %q", problem)
	}
	mustFitPhoneAndDesktop(t, b, "feature flags with a problem")

	mustDo(t, b, chromedp.SetValue(field, "all"))
	mustClick(t, b, set, 200)
	if lead := mustText(t, b, "#confirm-lead"); !strings.Contains(lead, "on for every organization") {
		t.Fatalf("confirmation says %q", lead)
	}
	mustFitPhoneAndDesktop(t, b, "turning a flag on for everyone")
	mustClick(t, b, chromedp.CSS("form.confirm button[type=submit]"), 200)
	mustFlash(t, b, admit.FlagLowStockNotice+": demo -> all.")
	mustScreenshot(t, b, "console-flags")
	mustFitPhoneAndDesktop(t, b, "feature flags after the change")
	var by string
	if err := s.db.SQL().QueryRow(`SELECT changed_by FROM feature_flag_changes ORDER BY id DESC LIMIT 1`).Scan(&by); err != nil || by != demoEmail {
		t.Errorf("the last change is by %q (%v), want %s", by, err, demoEmail)
	}
}
