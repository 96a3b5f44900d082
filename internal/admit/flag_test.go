package admit

import (
	"fmt"
	"strings"
	"testing"
)

// TestFlagPercentIsStable: over 1,000 organizations, 10% turns a flag on for
// about a tenth of them, and widening it to 25% keeps every one of that
// tenth in; another flag at 10% picks a different tenth.
func TestFlagPercentIsStable(t *testing.T) {
	const orgs = 1000
	on := func(f Flag) map[int64]bool {
		in := map[int64]bool{}
		for id := int64(1); id <= orgs; id++ {
			if f.On(id, fmt.Sprintf("org-%d", id)) {
				in[id] = true
			}
		}
		return in
	}
	ten, err := ParseFlag(FlagLowStockNotice, "10%")
	if err != nil {
		t.Fatal(err)
	}
	tenth := on(ten)
	if n := len(tenth); n < 80 || n > 120 {
		t.Errorf("10%% is on for %d of %d organizations, want about 100", n, orgs)
	}
	again := on(ten)
	for id := range tenth {
		if !again[id] {
			t.Errorf("organization %d is in at 10%% once and out the next time", id)
		}
	}
	quarter, _ := ParseFlag(FlagLowStockNotice, "25%")
	wide := on(quarter)
	if n := len(wide); n < 220 || n > 280 {
		t.Errorf("25%% is on for %d of %d organizations, want about 250", n, orgs)
	}
	for id := range tenth {
		if !wide[id] {
			t.Errorf("organization %d was in at 10%% and is out at 25%%", id)
		}
	}
	other, _ := ParseFlag("checkout.other", "10%")
	same := 0
	for id := range on(other) {
		if tenth[id] {
			same++
		}
	}
	if same > 40 {
		t.Errorf("another flag at 10%% shares %d of its organizations with the first: flags should pick their own", same)
	}
	t.Logf("10%%: %d of %d organizations; 25%%: %d, keeping all %d; another flag's tenth shares %d", len(tenth), orgs, len(wide), len(tenth), same)
}

func TestParseFlag(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		ok             bool
	}{
		{"all", "all", "all", true},
		{"off", "off", "off", true},
		{"percent", "10%", "10%", true},
		{"orgs", "acme, demo,acme", "acme,demo", true},
		{"too much", "101%", "", false},
		{"negative", "-5%", "", false},
		{"empty", " ", "", false},
		{"bad slug", "acme,<script>", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFlag(FlagLowStockNotice, tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseFlag(%q): %v", tt.in, err)
			}
			if err != nil {
				if ErrorCode(err) != EINVALID {
					t.Errorf("error %v is not EINVALID", err)
				}
				return
			}
			if f.String() != tt.want {
				t.Errorf("ParseFlag(%q) = %q, want %q", tt.in, f.String(), tt.want)
			}
		})
	}
	orgs, _ := ParseFlag(FlagLowStockNotice, "acme")
	if !orgs.On(7, "acme") || orgs.On(8, "other") {
		t.Error("a flag for acme is not on for acme alone")
	}
}

// TestOperatorFlags: operators see every flag the code asks about, set or
// not, and the stored ones this version does not know after them.
func TestOperatorFlags(t *testing.T) {
	ten, _ := ParseFlag(FlagLowStockNotice, "10%")
	zeta, _ := ParseFlag("zeta.old", "all")
	alpha, _ := ParseFlag("alpha.old", "acme")
	var got []string
	for _, f := range OperatorFlags([]Flag{zeta, ten, alpha}) {
		got = append(got, f.Name+"="+f.String())
	}
	want := []string{FlagLowStockNotice + "=10%", "alpha.old=acme", "zeta.old=all"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("OperatorFlags = %q, want %q", got, want)
	}
	if got := OperatorFlags(nil); len(got) != len(KnownFlags) || got[0].String() != "off" {
		t.Errorf("with nothing stored, OperatorFlags = %v, want every known flag off", got)
	}
}
