// Package mysqltest gives tests their own freshly migrated database on the
// real MariaDB that scripts/stack starts, so test packages run in parallel
// without sharing state.
package mysqltest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
)

// DefaultDSN reaches the local stack's server; ADMIT_TEST_MYSQL_DSN
// overrides it. Its database name is ignored.
const DefaultDSN = "admit:admit@tcp(127.0.0.1:13306)/"

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

func serverDSN() string {
	if v := os.Getenv("ADMIT_TEST_MYSQL_DSN"); v != "" {
		return v
	}
	return DefaultDSN
}

// Create makes a new database named after label, migrates it, and returns
// its DSN and a function that drops it. TestMain uses it for one database per
// package.
func Create(ctx context.Context, label string) (dsn string, drop func(), err error) {
	dsn, drop, err = CreateEmpty(ctx, label)
	if err != nil {
		return "", nil, err
	}
	db, err := mysql.Open(dsn)
	if err != nil {
		drop()
		return "", nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		drop()
		return "", nil, err
	}
	return dsn, drop, nil
}

// CreateEmpty makes a new database without migrating it.
func CreateEmpty(ctx context.Context, label string) (dsn string, drop func(), err error) {
	cfg, err := gomysql.ParseDSN(serverDSN())
	if err != nil {
		return "", nil, err
	}
	label = unsafeName.ReplaceAllString(strings.ToLower(label), "_")
	if len(label) > 30 {
		label = label[:30]
	}
	name := fmt.Sprintf("admit_test_%s_%s", label, admit.NewToken(5))
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return "", nil, fmt.Errorf("creating test database on %s (is the stack up? scripts/stack up): %w", cfg.Addr, err)
	}
	cfg.DBName = name
	dsn = cfg.FormatDSN()
	drop = func() {
		adminCfg := *cfg
		adminCfg.DBName = ""
		if a, err := sql.Open("mysql", adminCfg.FormatDSN()); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = a.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
			a.Close()
		}
	}
	return dsn, drop, nil
}

// MustDSN returns the DSN of a fresh, migrated database that is dropped when
// the test ends.
func MustDSN(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, drop, err := Create(ctx, tb.Name())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(drop)
	return dsn
}

// MustOpen returns storage on a fresh, migrated database that is closed and
// dropped when the test ends.
func MustOpen(tb testing.TB) *mysql.DB {
	tb.Helper()
	db, err := mysql.Open(MustDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// SetLedger makes a ticket type's capacity one bucket of quantity with
// reserved and sold taken, whatever holds and orders say: for tests that
// start from a given state of the ledger.
func SetLedger(tb testing.TB, db *mysql.DB, ticketTypeID int64, quantity, reserved, sold int) {
	tb.Helper()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE ticket_types SET quantity = ? WHERE id = ?`, []any{quantity, ticketTypeID}},
		{`DELETE FROM ticket_type_buckets WHERE ticket_type_id = ?`, []any{ticketTypeID}},
		{`INSERT INTO ticket_type_buckets (ticket_type_id, bucket, organization_id, event_id, quantity, reserved, sold)
			SELECT id, 0, organization_id, event_id, ?, ?, ? FROM ticket_types WHERE id = ?`, []any{quantity, reserved, sold, ticketTypeID}},
	} {
		if _, err := db.SQL().Exec(q.sql, q.args...); err != nil {
			tb.Fatalf("%s: %v", q.sql, err)
		}
	}
}

// Ledger returns a ticket type's quantity and its reserved and sold summed
// over its buckets.
func Ledger(tb testing.TB, db *mysql.DB, ticketTypeID int64) (quantity, reserved, sold int) {
	tb.Helper()
	err := db.SQL().QueryRow(`SELECT tt.quantity, COALESCE(SUM(b.reserved), 0), COALESCE(SUM(b.sold), 0)
		FROM ticket_types tt LEFT JOIN ticket_type_buckets b ON b.ticket_type_id = tt.id WHERE tt.id = ? GROUP BY tt.id`,
		ticketTypeID).Scan(&quantity, &reserved, &sold)
	if err != nil {
		tb.Fatalf("ledger of ticket type %d: %v", ticketTypeID, err)
	}
	return quantity, reserved, sold
}
