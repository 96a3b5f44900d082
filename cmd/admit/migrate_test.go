package main

import (
	"testing"
	"time"

	"github.com/admithq/admit/internal/mysql"
)

// TestMigrationDSNWaitsForLongStatements: admit migrate waits an hour for
// a statement (an index built on a large table) unless its DSN says how
// long, where every other command gives a statement 30 s.
func TestMigrationDSNWaitsForLongStatements(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		want time.Duration
	}{
		{"admit:admit@tcp(127.0.0.1:13306)/admit", time.Hour},
		{"admit:admit@tcp(127.0.0.1:13306)/admit?parseTime=true", time.Hour},
		{"admit:admit@failover(127.0.0.11:13307,127.0.0.12:13307)/admit", time.Hour},
		{"admit:admit@tcp(127.0.0.1:13306)/admit?readTimeout=5m", 5 * time.Minute},
	} {
		cfg, err := mysql.NormalizeDSN(migrationDSN(c.dsn))
		if err != nil {
			t.Errorf("%s: %v", c.dsn, err)
			continue
		}
		if cfg.ReadTimeout != c.want {
			t.Errorf("%s: read timeout %v, want %v", c.dsn, cfg.ReadTimeout, c.want)
		}
	}
	if cfg, _ := mysql.NormalizeDSN("admit:admit@tcp(127.0.0.1:13306)/admit"); cfg.ReadTimeout != 30*time.Second {
		t.Errorf("a request's statements wait %v, want 30s", cfg.ReadTimeout)
	}
}
