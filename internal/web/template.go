package web

import (
	"fmt"
	"html/template"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/templates"
)

// pages lists every page template of the public surface.
var pages = []string{"event", "checkout", "order", "tickets", "queue", "error", "home", "organization"}

// Funcs are the template functions shared by the HTML surfaces.
var Funcs = template.FuncMap{
	"money": admit.FormatMoney,
	"problem": func(p admit.Problems, field string, suffix ...any) string {
		for _, s := range suffix {
			field += fmt.Sprint(s)
		}
		return p.For(field)
	},
}

func newEngine() (*templates.Set, error) {
	return templates.Parse("layout.html", "", pages, Funcs)
}
