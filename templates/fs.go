// Package templates embeds the HTML templates and static assets of the web
// surfaces: a layout per surface, partials, and one file per page. Set
// parses them once at start, so a missing or broken page stops the server
// before it serves anything.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
)

// FS holds every template and static asset.
//
//go:embed *.html console/*.html email/* static
var FS embed.FS

// Set is a parsed group of pages sharing one layout.
type Set struct {
	pages map[string]*template.Template
}

// Parse parses each page (dir/name.html) together with the layout file and
// returns the set.
func Parse(layout string, dir string, pages []string, funcs template.FuncMap) (*Set, error) {
	base, err := fs.ReadFile(FS, layout)
	if err != nil {
		return nil, err
	}
	s := &Set{pages: map[string]*template.Template{}}
	for _, name := range pages {
		path := name + ".html"
		if dir != "" {
			path = dir + "/" + path
		}
		body, err := fs.ReadFile(FS, path)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(base))
		if err == nil {
			_, err = t.Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return s, nil
}

// Render executes page with data into a buffer, so a template error never
// leaves a half-written response.
func (s *Set) Render(page string, data any) ([]byte, error) {
	t, ok := s.pages[page]
	if !ok {
		return nil, fmt.Errorf("template %q is not registered", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", page, err)
	}
	return buf.Bytes(), nil
}
