package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/templates"
)

// pages lists every page template; each is parsed with the layout at start,
// so a missing or broken page stops the server before it serves anything.
var pages = []string{"event", "checkout", "order", "tickets", "error"}

// engine renders the parsed page templates.
type engine struct {
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	"money": admit.FormatMoney,
	"problem": func(p admit.Problems, field string, suffix ...any) string {
		for _, s := range suffix {
			field += fmt.Sprint(s)
		}
		return p.For(field)
	},
}

func newEngine() (*engine, error) {
	layout, err := fs.ReadFile(templates.FS, "layout.html")
	if err != nil {
		return nil, err
	}
	e := &engine{pages: map[string]*template.Template{}}
	for _, name := range pages {
		body, err := fs.ReadFile(templates.FS, name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err == nil {
			_, err = t.Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		e.pages[name] = t
	}
	return e, nil
}

// render executes page with data into a buffer, so a template error never
// leaves a half-written response.
func (e *engine) render(page string, data any) ([]byte, error) {
	t, ok := e.pages[page]
	if !ok {
		return nil, fmt.Errorf("template %q is not registered", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", page, err)
	}
	return buf.Bytes(), nil
}
