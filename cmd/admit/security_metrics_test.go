package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/mysqltest"
)

// TestMetricsOnlyForOperators: the public address answers /healthz and a
// bare /readyz, never /metrics; the operators' address (ADMIT_OPS_ADDR)
// has the metrics.
func TestMetricsOnlyForOperators(t *testing.T) {
	for _, opsAddr := range []string{"", "127.0.0.1:0"} {
		getenv := testEnv(t, mysqltest.MustDSN(t), map[string]string{"ADMIT_OPS_ADDR": opsAddr})
		mustRun(t, getenv, "migrate", "up")
		base, ops, stop := mustServeOps(t, getenv)
		if resp, body := mustGet(t, base+"/metrics"); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "go_goroutines") {
			t.Errorf("ADMIT_OPS_ADDR=%q: public /metrics answered %d:\n%.200s", opsAddr, resp.StatusCode, body)
		}
		if resp, body := mustGet(t, base+"/debug/pprof/goroutine?debug=1"); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "goroutine profile") {
			t.Errorf("ADMIT_OPS_ADDR=%q: public /debug/pprof answered %d:\n%.200s", opsAddr, resp.StatusCode, body)
		}
		if resp, body := mustGet(t, base+"/healthz"); resp.StatusCode != http.StatusOK {
			t.Errorf("ADMIT_OPS_ADDR=%q: public /healthz %d %s", opsAddr, resp.StatusCode, body)
		}
		if resp, body := mustGet(t, base+"/readyz"); resp.StatusCode != http.StatusOK || body != `{"status":"ok"}`+"\n" {
			t.Errorf("ADMIT_OPS_ADDR=%q: public /readyz %d %q", opsAddr, resp.StatusCode, body)
		}
		if opsAddr == "" {
			if ops != "" {
				t.Errorf("no ADMIT_OPS_ADDR, yet serve announced operators' endpoints on %s", ops)
			}
			stop()
			continue
		}
		if resp, body := mustGet(t, ops+"/metrics"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "admit_http_requests_total") {
			t.Errorf("operators' /metrics: %d\n%.300s", resp.StatusCode, body)
		}
		if resp, body := mustGet(t, ops+"/readyz"); resp.StatusCode != http.StatusOK {
			t.Errorf("operators' /readyz: %d %s", resp.StatusCode, body)
		}
		if resp, body := mustGet(t, ops+"/debug/pprof/goroutine?debug=1"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "goroutine profile") {
			t.Errorf("operators' /debug/pprof/goroutine: %d\n%.200s", resp.StatusCode, body)
		}
		stop()
	}
}
