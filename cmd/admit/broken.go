package main

import "github.com/labstack/echo/v4"

// breakages are faults put in on purpose, compiled in only by the build
// tags of the broken_*.go files: the deploy test builds releases that must
// be rolled back (scripts/deploy --tags admit_broken_readyz, say) and shows
// that they are. A normal build has none, and admit serve then runs exactly
// as it would without this file.
var breakages []func(e *echo.Echo)

// breakDeliberately applies the breakages of this build, if any.
func breakDeliberately(e *echo.Echo) {
	for _, b := range breakages {
		b(e)
	}
}
