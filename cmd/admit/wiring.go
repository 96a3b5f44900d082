package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/payment"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/webhook"
)

// components are what admit serve and admit worker both run on: the
// connections, checked against the schema, and the one Checkout through
// which holds, orders and refunds go, so that the server and the worker
// apply the same rules with the same payment providers.
type components struct {
	*deps
	checkout *checkout.Checkout
	stripe   *payment.Stripe // nil when Stripe is not configured
}

// openComponents connects to MySQL, Redis and memcached, refuses a schema
// that is behind this binary, and builds the Checkout. Close releases the
// connections.
func openComponents(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*components, error) {
	d, err := openDeps(ctx, cfg, cfg.RedisPrefix)
	if err != nil {
		return nil, err
	}
	if err := checkSchema(ctx, d.db); err != nil {
		d.Close()
		return nil, err
	}
	c := &components{deps: d}
	var providers []payment.Provider
	if cfg.OfflinePayment != "" {
		providers = append(providers, &payment.Offline{Instructions: cfg.OfflinePayment})
	}
	if cfg.StripeSecretKey != "" {
		c.stripe = payment.NewStripe(payment.StripeOptions{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhook, APIBase: cfg.StripeAPIBase})
		providers = append(providers, c.stripe)
	}
	var autoRoom checkout.AutoRoom // a nil *redis.AutoRoom would not be a nil interface
	if cfg.WaitingRoomAutoRate > 0 {
		autoRoom = redis.NewAutoRoom(d.redis, cfg.RedisPrefix, cfg.WaitingRoomAutoRate, cfg.WaitingRoomAutoFor)
	}
	c.checkout = checkout.New(checkout.Options{
		Ledger:    d.db,
		Gate:      redis.NewInventory(d.redis, cfg.RedisPrefix),
		Providers: providers,
		Limits:    admit.HoldLimits{PerClient: cfg.HoldsPerClient, PerIP: 10 * cfg.HoldsPerClient},
		BaseURL:   cfg.BaseURL,
		Logger:    logger,
		Secret:    []byte(cfg.SecretKey),
		AutoRoom:  autoRoom,
		// admit serve's maintenance queues the reminders; the worker's
		// Checkout only refunds, and its setting is zero.
		PaymentReminderBefore: cfg.PaymentReminderBefore,
	})
	return c, nil
}

// webhookURLs is the rule for endpoint URLs that the console and the API
// check on save and the worker checks again on delivery.
func webhookURLs(cfg *config.Config) webhook.URLPolicy {
	return webhook.URLPolicy{AllowHTTP: !cfg.Production(), AllowPrivate: cfg.WebhookAllowPrivate}
}

// newRegistry is a process's /metrics: the Go runtime, the process, the
// MySQL pools (db_name "admit", and "admit_batch" for the checkout's
// batches) and their statements, and what the caller adds.
func newRegistry(db *mysql.DB, more ...prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL(), "admit"),
		collectors.NewDBStatsCollector(db.BatchSQL(), "admit_batch"),
		mysql.NewStatementMetrics(db),
	)
	reg.MustRegister(more...)
	return reg
}

// serveOps starts the operators' listener on addr (named by setting in
// errors), if one is set. It outlives ctx until stop is called after the
// process has drained, so a probe sees it draining rather than gone.
func serveOps(ctx context.Context, stdout io.Writer, logger *slog.Logger, srv *server.Server, command, addr, setting string) (stop func() error, err error) {
	if addr == "" {
		return func() error { return nil }, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (%s): %v", addr, setting, err)
	}
	opsCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.ServeOps(opsCtx, ln) }()
	logger.Info("serving ops endpoints", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "admit %s: /healthz, /readyz and /metrics for operators on http://%s\n", command, ln.Addr())
	return func() error { cancel(); return <-done }, nil
}
