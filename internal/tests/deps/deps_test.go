// Package deps checks the shape of the module's dependencies, as pkgsite's
// internal/tests/deps does: the domain package stands alone, and the
// handlers reach storage only through the interfaces they declare.
package deps

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/admithq/admit/"

// pkg is what go list says about one package.
type pkg struct {
	ImportPath string
	Imports    []string // direct, without the tests'
	Deps       []string // every package it needs, transitively
	Standard   bool
}

// list runs go list -json -deps over the module's packages.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps,Standard", "-deps", module+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// TestDomainIsStandardLibraryOnly: internal/admit is the vocabulary every
// other package shares, so it depends on nothing of ours or anyone else's.
func TestDomainIsStandardLibraryOnly(t *testing.T) {
	pkgs := list(t)
	admit, ok := pkgs[module+"internal/admit"]
	if !ok {
		t.Fatal("internal/admit not found")
	}
	for _, d := range admit.Deps {
		if !pkgs[d].Standard {
			t.Errorf("internal/admit depends on %s, outside the standard library", d)
		}
	}
}

// TestHandlersDoNotImportStorage: the HTTP handlers and the services they
// call name storage through interfaces of their own, filled with
// internal/mysql and internal/redis only where the program is wired
// together (cmd/admit).
func TestHandlersDoNotImportStorage(t *testing.T) {
	pkgs := list(t)
	forbidden := []string{module + "internal/mysql", module + "internal/redis"}
	var checked int
	for path, p := range pkgs {
		rel, ok := strings.CutPrefix(path, module)
		if !ok || !isHandlerOrService(rel) {
			continue
		}
		checked++
		for _, imp := range p.Imports {
			for _, f := range forbidden {
				if imp == f {
					t.Errorf("%s imports %s", rel, strings.TrimPrefix(f, module))
				}
			}
		}
	}
	if checked < 4 {
		t.Errorf("checked only %d handler and service packages; has the layout changed?", checked)
	}
}

// isHandlerOrService reports whether the package at rel (a path inside the
// module) serves HTTP or holds rules the handlers call.
func isHandlerOrService(rel string) bool {
	for _, p := range []string{"internal/web", "internal/api", "internal/console", "internal/checkout", "internal/server"} {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}
