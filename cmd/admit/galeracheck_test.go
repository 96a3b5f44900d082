package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/mysqltest"
)

// TestGaleraCheckRefusesANodeOutsideAGaleraCluster: HAProxy's check of a
// MySQL server that is not a Synced Galera node (here the local stack's
// single MariaDB, whose wsrep is off), or of one it cannot reach, is 503
// with the reason: such a node never takes the cluster's writes. Taking the
// writer's row over when it leaves is what the fault test's MySQL writer
// phase proves, on the paired stack (make faults).
func TestGaleraCheckRefusesANodeOutsideAGaleraCluster(t *testing.T) {
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"not Galera", mysqltest.MustDSN(t), "not synced (wsrep_local_state="},
		{"unreachable", "admit:admit@tcp(127.0.0.1:1)/", "not synced (unreachable: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := mustGaleraCheck(t, tc.dsn)
			resp, body := mustGet(t, base)
			if resp.StatusCode != 503 || !strings.HasPrefix(body, tc.want) {
				t.Fatalf("check: %d %q, want 503 %q...", resp.StatusCode, body, tc.want)
			}
		})
	}
	err := run(context.Background(), []string{"admit", "galera-check", "-listen", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ADMIT_GALERA_CHECK_DSN") {
		t.Errorf("galera-check without a node: %v, want an error naming the setting", err)
	}
}

// mustGaleraCheck starts admit galera-check for dsn and returns its URL.
func mustGaleraCheck(t *testing.T, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"admit", "galera-check", "-listen", "127.0.0.1:0", "-dsn", dsn}, func(string) string { return "" }, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	url := ""
	for lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), " on http://"); ok {
			url = "http://" + rest
			break
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("admit galera-check did not start: %v", <-done)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("galera-check did not stop cleanly: %v", err)
		}
	})
	return url
}
