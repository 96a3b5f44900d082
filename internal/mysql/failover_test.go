package mysql

import (
	"context"
	"database/sql"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// testServerAddr is the local stack's MariaDB (or ADMIT_TEST_MYSQL_DSN's).
func testServerAddr(tb testing.TB) string {
	tb.Helper()
	dsn := "admit:admit@tcp(127.0.0.1:13306)/"
	if v := os.Getenv("ADMIT_TEST_MYSQL_DSN"); v != "" {
		dsn = v
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	if cfg.Net != "tcp" {
		tb.Skipf("the failover network needs a TCP server, have %s", cfg.Net)
	}
	return cfg.Addr
}

// mustHangUpListener accepts connections and closes them at once, as a load
// balancer (or a proxy in front of one) does when no backend is up, and
// counts them.
func mustHangUpListener(tb testing.TB) (addr string, accepted *atomic.Int64) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	accepted = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

// mustDeadAddr is an address nobody listens on.
func mustDeadAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func mustQueryOne(tb testing.TB, dsn string) {
	tb.Helper()
	db, err := Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var one int
	if err := db.SQL().QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		tb.Fatalf("SELECT 1 through %s: %v", dsn, err)
	}
	if one != 1 {
		tb.Fatalf("SELECT 1 = %d", one)
	}
}

// TestFailoverDSN: a DSN on the failover network reaches the server when the
// addresses before it refuse connections or accept and hang up, and a later
// connection goes straight to the address that answered.
func TestFailoverDSN(t *testing.T) {
	server := testServerAddr(t)
	hangUp, accepted := mustHangUpListener(t)
	tests := []struct {
		name  string
		addrs string
	}{
		{name: "only the server", addrs: server},
		{name: "refused first", addrs: mustDeadAddr(t) + "," + server},
		{name: "hang-up first", addrs: hangUp + "," + server},
		{name: "refused and hang-up first", addrs: mustDeadAddr(t) + "," + hangUp + "," + server},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustQueryOne(t, "admit:admit@failover("+tt.addrs+")/")
		})
	}

	t.Run("remembers the last good address", func(t *testing.T) {
		addrs := hangUp + "," + server
		dsn := "admit:admit@failover(" + addrs + ")/"
		mustQueryOne(t, dsn)
		before := accepted.Load()
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxIdleConns(0) // every round dials anew
		for range 3 {
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := conn.Raw(func(any) error { return nil }); err != nil {
				t.Fatal(err)
			}
			conn.Close()
		}
		if got := accepted.Load() - before; got != 0 {
			t.Errorf("the dead first address was dialled %d more times after the server answered", got)
		}
	})

	t.Run("every address down", func(t *testing.T) {
		db, err := Open("admit:admit@failover(" + mustDeadAddr(t) + "," + hangUp + ")/")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if err := db.Ping(ctx); err == nil {
			t.Fatal("ping succeeded with no server behind any address")
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("failing took %s", d)
		}
	})
}
