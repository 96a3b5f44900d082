package config

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

// TestOperators: ADMIT_OPERATORS is a list of addresses, kept lowercase as
// the console keeps its users'; anything else is refused naming the
// setting, and admit serve -h documents it.
func TestOperators(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		want        []string
		bad         bool
	}{
		{"empty: nobody", "", nil, false},
		{"two", " Ops@Example.com ,oncall@example.org,", []string{"ops@example.com", "oncall@example.org"}, false},
		{"not an address", "ops@example.com, ops", nil, true},
		{"two at signs", "a@b@c", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ADMIT_OPERATORS": tt.value}
			cfg, _, err := Parse("serve", "", nil, func(k string) string { return env[k] }, io.Discard)
			if tt.bad {
				if err == nil || !strings.Contains(err.Error(), "ADMIT_OPERATORS") {
					t.Errorf("%q: error %v, want one naming ADMIT_OPERATORS", tt.value, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(cfg.Operators, " ") != strings.Join(tt.want, " ") {
				t.Errorf("%q: operators %q, want %q", tt.value, cfg.Operators, tt.want)
			}
		})
	}
	var help bytes.Buffer
	if _, _, err := Parse("serve", "", []string{"-h"}, func(string) string { return "" }, &help); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "-operators, ADMIT_OPERATORS") {
		t.Errorf("admit serve -h does not document ADMIT_OPERATORS (%v)", err)
	}
}
