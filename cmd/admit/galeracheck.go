package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/mysql"
)

// runGaleraCheck serves HAProxy's check of the Galera node beside it: 200
// on the cluster's one writer, 503 on every other node (mysql.WriterCheck
// has the rules). It runs beside each node, as Percona's clustercheck does,
// but holds its connections to the node, so a check is a few statements
// and HAProxy may check often.
func runGaleraCheck(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("admit galera-check", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: admit galera-check [flags]\n\nServe HAProxy's check of the Galera node beside it: 200 on the cluster's one writer, 503 elsewhere.\n\n")
		fs.PrintDefaults()
	}
	envOr := env.or
	listen := fs.String("listen", envOr("ADMIT_GALERA_CHECK_ADDR", "127.0.0.1:9200"), "address HAProxy checks (ADMIT_GALERA_CHECK_ADDR)")
	dsn := fs.String("dsn", envOr("ADMIT_GALERA_CHECK_DSN", ""), "the node itself, not a load balancer: user:password@tcp(host:3306)/ (ADMIT_GALERA_CHECK_DSN)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long a statement of a check may take; keep it under HAProxy's timeout check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("no Galera node to check: set -dsn or ADMIT_GALERA_CHECK_DSN to the node beside this checker")
	}
	check, err := mysql.NewWriterCheck(*dsn, *timeout)
	if err != nil {
		return err
	}
	defer check.Close()
	logger := slog.New(slog.NewJSONHandler(env.stderr, nil))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("galera-check: cannot listen on %s (-listen): %w", *listen, err)
	}
	srv := &http.Server{Handler: writerCheckHandler(check, logger), ReadHeaderTimeout: 2 * time.Second}
	fmt.Fprintf(env.stdout, "admit galera-check: checking %s on http://%s/\n", redactDSN(*dsn), ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// writerCheckHandler answers each check, and logs when the answer changes
// (a node becoming the writer, or ceasing to be one).
func writerCheckHandler(check *mysql.WriterCheck, logger *slog.Logger) http.Handler {
	var mu sync.Mutex
	last := ""
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, why := check.Check(r.Context())
		status := http.StatusServiceUnavailable
		if ok {
			status = http.StatusOK
		}
		mu.Lock()
		if why != last {
			logger.Info("galera check", "status", status, "answer", why)
			last = why
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, why)
	})
}

// redactDSN is the DSN without its password, for the log.
func redactDSN(dsn string) string {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return cfg.User + "@" + cfg.Net + "(" + cfg.Addr + ")"
}
