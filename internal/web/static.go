package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/templates"
)

// staticETags hashes every static file once, at start: the files are
// embedded in the binary, so a file's hash only changes with a release.
func staticETags() map[string]string {
	tags := map[string]string{}
	fs.WalkDir(templates.FS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templates.FS, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		tags["/"+path] = `"` + hex.EncodeToString(sum[:16]) + `"`
		return nil
	})
	return tags
}

// withETag gives a static file its ETag; http.FileServer then answers a
// matching If-None-Match with 304 (embedded files have no modification
// time, so without it every revalidation would send the whole file).
func withETag(tags map[string]string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if tag, ok := tags[c.Request().URL.Path]; ok {
				c.Response().Header().Set("ETag", tag)
			}
			return next(c)
		}
	}
}
