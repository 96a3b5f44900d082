package bench

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"
)

// Limits are this machine's ceilings, measured in the same run, so the
// product's figures read as a share of what the hardware allows.
type Limits struct {
	InsertCommits16 float64 `json:"durable_insert_commits_per_second_16_clients"`
	InsertCommits64 float64 `json:"durable_insert_commits_per_second_64_clients"`
	HotRowUpdates   float64 `json:"hot_row_guarded_updates_per_second_64_clients"`
	RedisEvalsha    float64 `json:"redis_evalsha_per_second"`
	EchoHello       float64 `json:"echo_hello_world_requests_per_second"`
}

// MeasureLimits measures each ceiling for d.
func MeasureLimits(ctx context.Context, db *sql.DB, rdb goredis.UniversalClient, d time.Duration) (Limits, error) {
	var l Limits
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_limits (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL, n INT NOT NULL DEFAULT 0) ENGINE=InnoDB`); err != nil {
		return l, err
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bench_limits`)
	l.InsertCommits16 = rate(d, 16, func() error { _, err := db.ExecContext(ctx, `INSERT INTO bench_limits (v) VALUES (1)`); return err })
	l.InsertCommits64 = rate(d, 64, func() error { _, err := db.ExecContext(ctx, `INSERT INTO bench_limits (v) VALUES (1)`); return err })
	db.ExecContext(ctx, `INSERT INTO bench_limits (id, v, n) VALUES (0, 1, 0) ON DUPLICATE KEY UPDATE n = 0`)
	l.HotRowUpdates = rate(d, 64, func() error {
		_, err := db.ExecContext(ctx, `UPDATE bench_limits SET n = n + 1 WHERE id = 0 AND n + 1 <= 1000000000`)
		return err
	})
	script := goredis.NewScript(`local v = redis.call('DECRBY', KEYS[1], 1) if v < 0 then redis.call('INCRBY', KEYS[1], 1) return 0 end return 1`)
	key := "admit-bench:limits:" + time.Now().Format("150405.000")
	rdb.Set(ctx, key, 1<<40, time.Minute)
	script.Load(ctx, rdb)
	l.RedisEvalsha = rate(d, 64, func() error { return script.Run(ctx, rdb, []string{key}).Err() })
	rdb.Del(ctx, key)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/hello", func(c echo.Context) error { return c.String(http.StatusOK, "Hello, World!") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return l, err
	}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/hello"
	l.EchoHello = HTTPRate(d, 64, url)
	return l, nil
}

// HTTPRate measures GETs of url per second with workers keep-alive clients.
func HTTPRate(d time.Duration, workers int, url string) float64 {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return rate(d, workers, func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		var buf [4096]byte
		for {
			if _, err := resp.Body.Read(buf[:]); err != nil {
				break
			}
		}
		return resp.Body.Close()
	})
}

// rate runs op from workers goroutines for d and returns successes per
// second.
func rate(d time.Duration, workers int, op func() error) float64 {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if op() == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
