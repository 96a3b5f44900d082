// Package templates embeds the HTML templates and static assets of the web
// surfaces: a layout, partials, and one file per page.
package templates

import "embed"

// FS holds every template and static asset.
//
//go:embed *.html static
var FS embed.FS
