package deps

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's Layout section from the tree")

// otherDirs are the top-level folders that hold no Go package, and what
// they own.
var otherDirs = [][2]string{
	{"db/migrations", "numbered SQL migrations, embedded in the binary"},
	{"templates", "HTML and email templates and static assets, embedded"},
	{"scripts", "the local stack and `make run`; the on-sale burst (`onsale`); the paired stack (`ha`), `deploy`, `rollback`"},
	{"ops", "configuration of the paired setup: HAProxy, Galera, Redis Sentinel, systemd, Prometheus"},
}

const (
	layoutStart = "<!-- layout: generated from the packages' doc comments by `make layout` -->\n"
	layoutEnd   = "<!-- /layout -->\n"
)

// layout is the Layout table: one line per package, its path and the first
// sentence of its doc comment, then the folders without Go code.
func layout(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Doc,Dir,TestGoFiles,XTestGoFiles", module+"cmd/...", module+"internal/...", module+"pkg/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var b strings.Builder
	b.WriteString(layoutStart + "\n| path | what it owns |\n|---|---|\n")
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Doc, Dir string
			TestGoFiles          []string
			XTestGoFiles         []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		doc := p.Doc
		if doc == "" {
			doc = testPackageDoc(t, p.Dir, append(p.TestGoFiles, p.XTestGoFiles...))
		}
		if doc == "" {
			t.Errorf("%s has no package doc comment", p.ImportPath)
		}
		b.WriteString("| `" + strings.TrimPrefix(p.ImportPath, module) + "` | " + doc + " |\n")
	}
	for _, d := range otherDirs {
		b.WriteString("| `" + d[0] + "` | " + d[1] + " |\n")
	}
	return b.String() + "\n" + layoutEnd
}

// testPackageDoc is the first sentence of the doc comment of a package
// made of tests only.
func testPackageDoc(t *testing.T, dir string, files []string) string {
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var doc []string
		for _, line := range strings.Split(string(src), "\n") {
			if c, ok := strings.CutPrefix(line, "// "); ok {
				doc = append(doc, c)
				continue
			}
			if strings.HasPrefix(line, "package ") && len(doc) > 0 {
				text := strings.Join(doc, " ")
				if i := strings.Index(text, ". "); i >= 0 {
					text = text[:i+1]
				}
				return text
			}
			doc = nil
		}
	}
	return ""
}

// TestReadmeLayoutIsCurrent: the README's Layout section lists every
// package with what its doc comment says it owns. Run
// `go test ./internal/tests/deps -run Layout -update` (make layout) after
// adding or renaming a package.
func TestReadmeLayoutIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start, end := strings.Index(s, layoutStart), strings.Index(s, layoutEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md has no generated Layout section (%q … %q)", layoutStart, layoutEnd)
	}
	want := layout(t)
	got := s[start : end+len(layoutEnd)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:start]+want+s[end+len(layoutEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's Layout is out of date; run make layout. Want:\n%s", want)
}
