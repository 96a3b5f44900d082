package main

import (
	"net/http"
	"testing"

	"github.com/admithq/admit/internal/mysqltest"
)

// TestHeadAnswersAsGet: an uptime monitor's HEAD gets the status and
// length GET would get, and no body.
func TestHeadAnswersAsGet(t *testing.T) {
	getenv := testEnv(t, mysqltest.MustDSN(t), nil)
	mustRun(t, getenv, "migrate", "up")
	mustRun(t, getenv, "demo")
	base, _ := mustServe(t, getenv)
	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"event page", "/e/demo/gophersummit", http.StatusOK},
		{"stylesheet", "/static/admit.css", http.StatusOK},
		{"health", "/healthz", http.StatusOK},
		{"missing page", "/e/demo/no-such-event", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get, body := mustGet(t, base+tc.path)
			resp, err := http.Head(base + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status || get.StatusCode != tc.status {
				t.Fatalf("HEAD %s: %d, GET %d; want %d", tc.path, resp.StatusCode, get.StatusCode, tc.status)
			}
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("HEAD %s: Content-Length %d, GET sends %d bytes", tc.path, resp.ContentLength, len(body))
			}
			if got, want := resp.Header.Get("Content-Type"), get.Header.Get("Content-Type"); got != want {
				t.Errorf("HEAD %s: Content-Type %q, GET %q", tc.path, got, want)
			}
		})
	}
}
