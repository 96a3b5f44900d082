package main

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/redis"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/web"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	cfg, _, err := config.Parse("serve", "Serve the web pages, the checkout and the APIs over HTTP.", args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, env.stderr, "serve")
	d, err := openDeps(ctx, cfg, cfg.RedisPrefix)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := checkSchema(ctx, d.db); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(d.db.SQL(), "admit"),
	)
	pages, err := web.New(web.Options{Store: d.db, Cache: d.cache, PageCacheTTL: cfg.PageCacheTTL, Logger: logger})
	if err != nil {
		return err
	}
	srv := server.New(server.Options{
		Logger:    logger,
		Registry:  reg,
		HTMLError: pages.RenderError,
		Checks: []server.Check{
			{Name: "mysql", Ping: d.db.Ping},
			{Name: "redis", Ping: func(ctx context.Context) error { return redis.Ping(ctx, d.redis) }},
			{Name: "memcached", Ping: d.cache.Ping},
		},
	})
	pages.Register(srv.Echo())

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (ADMIT_HTTP_ADDR): %v", cfg.HTTPAddr, err)
	}
	addr := ln.Addr().String()
	if cfg.BaseURL == "http://"+cfg.HTTPAddr {
		cfg.BaseURL = "http://" + addr
	}
	logger.Info("serving", "addr", addr, "base_url", cfg.BaseURL, "version", version)
	fmt.Fprintf(env.stdout, "admit serve: listening on http://%s (public URL %s)\n", addr, strings.TrimRight(cfg.BaseURL, "/"))
	return srv.Serve(ctx, ln, cfg.ShutdownTimeout)
}
