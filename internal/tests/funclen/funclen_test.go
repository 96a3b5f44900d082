// Package funclen keeps every production function short enough to read in
// one screen: a function of 80 lines or more fails the build's tests. A
// function that is a table of data (config's settings, say) is the one
// exception, and says so with a "funclen:table" line in its doc comment.
package funclen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// limit is the first length that fails: a function must be under it.
const limit = 80

// tableMarker in a function's doc comment marks it as a table of data.
const tableMarker = "funclen:table"

// root is the module's top directory, seen from this package.
const root = "../../.."

// TestFunctionsAreShort walks every non-test .go file of the module.
func TestFunctionsAreShort(t *testing.T) {
	fset := token.NewFileSet()
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		seen++
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || isTable(fn) {
				continue
			}
			start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
			if n := end.Line - start.Line + 1; n >= limit {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d: %s is %d lines; split it along its seams (limit %d)", rel, start.Line, name(fn), n, limit)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("found no Go files; is root right?")
	}
}

// skipDir leaves out what is not the module's own production code.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules"
}

func isTable(fn *ast.FuncDecl) bool {
	return fn.Doc != nil && strings.Contains(fn.Doc.Text(), tableMarker)
}

// name is Type.Method or Func, as a reader searches for it.
func name(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
