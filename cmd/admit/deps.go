package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/memcache"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/redis"
)

const startHint = "start the local stack with: scripts/stack up"

// dependencyError is the one line printed when a component is missing at
// start: which one, where it was looked for, and how to start it.
type dependencyError struct {
	component, addr string
	err             error
}

func (e *dependencyError) Error() string {
	return fmt.Sprintf("%s is unreachable at %s (%s); %s, or point %s elsewhere",
		e.component, e.addr, oneLine(e.err), startHint, envFor(e.component))
}

func envFor(component string) string {
	switch component {
	case "mysql":
		return "ADMIT_MYSQL_DSN"
	case "redis":
		return "ADMIT_REDIS_ADDR (or ADMIT_REDIS_SENTINELS)"
	case "memcached":
		return "ADMIT_MEMCACHED"
	case "s3":
		return "ADMIT_S3_ENDPOINT and ADMIT_S3_BUCKET"
	}
	return "its setting"
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// deps are the connections a serving command opens at start.
type deps struct {
	db    *mysql.DB
	redis goredis.UniversalClient
	cache *memcache.Cache
}

func (d *deps) Close() {
	if d.db != nil {
		d.db.Close()
	}
	if d.redis != nil {
		d.redis.Close()
	}
}

func redisOptions(cfg *config.Config) redis.Options {
	return redis.Options{Addr: cfg.RedisAddr, Sentinels: cfg.RedisSentinels, Master: cfg.RedisMaster, Password: cfg.RedisPassword, DB: cfg.RedisDB}
}

// openMySQL opens and pings MySQL, naming the address on failure.
func openMySQL(ctx context.Context, cfg *config.Config) (*mysql.DB, error) {
	dsn, err := mysql.NormalizeDSN(cfg.MySQLDSN)
	if err != nil {
		return nil, fmt.Errorf("ADMIT_MYSQL_DSN: %v", err)
	}
	db, err := mysql.Open(cfg.MySQLDSN)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Ping(pingCtx); err != nil {
		db.Close()
		return nil, &dependencyError{component: "mysql", addr: dsn.Addr + "/" + dsn.DBName, err: err}
	}
	return db, nil
}

// openDeps connects to MySQL, Redis and memcached, or returns the first
// dependencyError.
func openDeps(ctx context.Context, cfg *config.Config, cachePrefix string) (*deps, error) {
	d := &deps{}
	var err error
	if d.db, err = openMySQL(ctx, cfg); err != nil {
		return nil, err
	}
	if cfg.BatchLanes > 0 {
		d.db.SetBatchLanes(cfg.BatchLanes)
	}
	ro := redisOptions(cfg)
	d.redis = redis.NewClient(ro)
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := redis.Ping(pingCtx, d.redis); err != nil {
		d.Close()
		return nil, &dependencyError{component: "redis", addr: ro.Describe(), err: err}
	}
	d.cache = memcache.New(cfg.Memcached, cachePrefix)
	if err := d.cache.Ping(pingCtx); err != nil {
		d.Close()
		return nil, &dependencyError{component: "memcached", addr: strings.Join(cfg.Memcached, ","), err: err}
	}
	return d, nil
}

// checkSchema refuses to serve on a database whose migrations have not run.
func checkSchema(ctx context.Context, db *mysql.DB) error {
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	pending := 0
	for _, s := range states {
		if !s.Applied {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("the database schema is behind this binary (%d migrations pending); run: admit migrate up", pending)
	}
	return nil
}

// newLogger builds the process's logger: JSON for machines, text on a
// terminal.
func newLogger(cfg *config.Config, w io.Writer, component string) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h).With("component", component)
}
