package main

import (
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestFlagsCommand: admit flags set records the change with the operator's
// name, as the console's flag page does, and admit flags list shows every
// flag the code asks about before the stored ones it does not know.
func TestFlagsCommand(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	getenv := testEnv(t, dsn, map[string]string{"ADMIT_OPERATOR": "oncall"})
	if out := mustRun(t, getenv, "flags", "set", "zeta.retired", "acme"); !strings.Contains(out, "zeta.retired: off -> acme (no code asks about this flag yet)") {
		t.Errorf("set of an unknown flag printed %q", out)
	}
	if out := mustRun(t, getenv, "flags", "set", admit.FlagLowStockNotice, "10%"); !strings.Contains(out, admit.FlagLowStockNotice+": off -> 10%\n") {
		t.Errorf("set printed %q", out)
	}
	out := mustRun(t, getenv, "flags", "list")
	var rows []string
	for _, line := range strings.Split(out, "\n")[1:3] {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	want := []string{admit.FlagLowStockNotice + " 10%", "zeta.retired acme (unknown to this version)"}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") || !strings.Contains(out, "checkout.low_stock_notice: off -> 10% by oncall") {
		t.Errorf("list printed:\n%s", out)
	}
}
