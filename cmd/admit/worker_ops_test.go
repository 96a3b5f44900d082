package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/mysqltest"
)

// TestWorkerOpsEndpoints: with ADMIT_WORKER_OPS_ADDR the worker answers
// /healthz, says on /readyz whether MySQL is reachable, and counts its
// MySQL statements on /metrics; it stops cleanly.
func TestWorkerOpsEndpoints(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	mysqlProxy := mustProxy(t, cfg.Addr)
	cfg.Addr = mysqlProxy.addr
	getenv := testEnv(t, cfg.FormatDSN(), map[string]string{
		// This package's queue (see workerRedisDB); nothing is flushed here.
		"ADMIT_REDIS_DB":         strconv.Itoa(workerRedisDB),
		"ADMIT_WORKER_OPS_ADDR":  "127.0.0.1:0",
		"ADMIT_SHUTDOWN_TIMEOUT": "2s",
	})
	mustRun(t, getenv, "migrate", "up")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"admit", "worker"}, getenv, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	var base string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), " on http://"); ok {
			base = "http://" + rest
			break
		}
	}
	if base == "" {
		t.Fatalf("admit worker did not say where its ops endpoints are: %v", <-done)
	}
	go io.Copy(io.Discard, pr)

	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor := func(what, path string, cond func(int, string) bool) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, body := get(path)
			if cond(st, body) {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s still %d %s", what, path, st, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if st, body := get("/healthz"); st != http.StatusOK {
		t.Fatalf("/healthz: %d %s", st, body)
	}
	waitFor("ready", "/readyz", func(st int, _ string) bool { return st == http.StatusOK })

	// The relay polls the outbox several times a second: its SELECTs show.
	selects := regexp.MustCompile(`(?m)^admit_mysql_statements_total\{kind="select"\} (\d+)`)
	waitFor("statements counted", "/metrics", func(st int, body string) bool {
		m := selects.FindStringSubmatch(body)
		return st == http.StatusOK && m != nil && m[1] != "0"
	})
	_, metrics := get("/metrics")
	for _, want := range []string{`admit_mysql_transactions_total{outcome="begun"}`, "admit_mysql_connections_opened_total", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	mysqlProxy.down()
	waitFor("mysql down", "/readyz", func(st int, body string) bool {
		return st == http.StatusServiceUnavailable && strings.Contains(body, `"mysql"`) && !strings.Contains(body, `"relay"`)
	})
	mysqlProxy.up(t)
	waitFor("mysql back", "/readyz", func(st int, _ string) bool { return st == http.StatusOK })

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the worker did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the ops endpoints still answer after the worker stopped")
	}
}

// TestWorkerOpsAddrInvalid: a malformed address is refused at start with
// the setting's name.
func TestWorkerOpsAddrInvalid(t *testing.T) {
	getenv := testEnv(t, "admit:admit@tcp(127.0.0.1:1)/none", map[string]string{"ADMIT_WORKER_OPS_ADDR": "9191"})
	err := run(context.Background(), []string{"admit", "worker"}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ADMIT_WORKER_OPS_ADDR") || !strings.Contains(err.Error(), "host:port") {
		t.Fatalf("got %v, want an error naming ADMIT_WORKER_OPS_ADDR and host:port", err)
	}
}
