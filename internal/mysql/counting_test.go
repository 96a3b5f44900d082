package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// serverKinds maps each counted kind to the server's Com_ counters of the
// same statements: the bench compares the two.
var serverKinds = map[string][]string{
	"select": {"Com_select"}, "insert": {"Com_insert", "Com_insert_select"}, "update": {"Com_update", "Com_update_multi"},
	"delete": {"Com_delete", "Com_delete_multi"}, "replace": {"Com_replace", "Com_replace_select"}, "set": {"Com_set_option"},
	"begin": {"Com_begin"}, "commit": {"Com_commit"}, "rollback": {"Com_rollback"},
}

// TestCountingConnector runs a known sequence of statements on one
// connection and checks that the pool counted each kind exactly, that the
// server's own counters for that session say the same, and that the
// Prometheus counters carry the figures.
func TestCountingConnector(t *testing.T) {
	base := mysqltest.MustDSN(t)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for _, tc := range []struct {
		name string
		dsn  string
		// set is the SETs the driver sends on connecting: time_zone, plus
		// SET NAMES when the DSN names a charset; the sequence adds one
		// for the isolation level.
		set int64
	}{
		{name: "plain DSN", dsn: base, set: 1 + 1},
		{name: "DSN naming a charset", dsn: base + sep + "charset=utf8mb4", set: 2 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := mysql.Open(tc.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// One connection: the server's session counters then cover
			// everything the pool sent, the connection's setup included.
			db.SQL().SetMaxOpenConns(1)
			ctx := context.Background()
			conn := db.SQL()
			table := "counting_" + strings.ReplaceAll(strings.ToLower(tc.name), " ", "_")
			mustExec(t, conn, "CREATE TABLE "+table+" (id INT PRIMARY KEY, v INT NOT NULL)")
			mustExec(t, conn, "INSERT INTO "+table+" (id, v) VALUES (?, ?), (?, ?)", 1, 10, 2, 20)
			mustExec(t, conn, "/* a comment first */ REPLACE INTO "+table+" (id, v) VALUES (3, 30)")
			var v int
			if err := conn.QueryRowContext(ctx, "SELECT v FROM "+table+" WHERE id = ?", 1).Scan(&v); err != nil || v != 10 {
				t.Fatalf("select: %d, %v", v, err)
			}

			tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx, "UPDATE "+table+" SET v = v + 1 WHERE id = ?", 1)
			mustExec(t, tx, "DELETE FROM "+table+" WHERE id = ?", 2)
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			tx, err = conn.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx, "INSERT INTO "+table+" (id, v) SELECT 4, v FROM "+table+" WHERE id = 1")
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}

			// A server-side prepared statement, run twice.
			stmt, err := conn.PrepareContext(ctx, "SELECT v FROM "+table+" WHERE id = ?")
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := stmt.QueryRowContext(ctx, 3).Scan(&v); err != nil || v != 30 {
					t.Fatalf("prepared select: %d, %v", v, err)
				}
			}
			stmt.Close()
			// More arguments than placeholders: the driver cannot
			// interpolate (driver.ErrSkip), database/sql prepares and then
			// refuses to run it. Nothing ran, so nothing is counted.
			if _, err := conn.ExecContext(ctx, "UPDATE "+table+" SET v = ? WHERE id = 1", 1, 2); err == nil {
				t.Fatal("a statement with too many arguments ran")
			}
			mustExec(t, conn, "DO 1")

			server := map[string]int64{}
			rows, err := conn.QueryContext(ctx, "SHOW SESSION STATUS LIKE 'Com\\_%'")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var name string
				var n int64
				if err := rows.Scan(&name, &n); err != nil {
					t.Fatal(err)
				}
				server[name] = n
			}
			rows.Close()
			got := db.Counts()

			want := mysql.Counts{
				Statements: map[string]int64{
					// select: one plain and two prepared runs (the DSN's
					// max_allowed_packet spares the driver's own SELECT).
					"select": 1 + 2, "insert": 2, "update": 1, "delete": 1, "replace": 1,
					"set": tc.set, "begin": 2, "commit": 1, "rollback": 1,
					// CREATE TABLE, DO, SHOW.
					"other": 3,
				},
				Transactions: map[string]int64{mysql.TxBegun: 2, mysql.TxCommitted: 1, mysql.TxRolledBack: 1, mysql.TxFailed: 0},
				Connections:  1,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			fromServer := map[string]int64{}
			for kind, names := range serverKinds {
				for _, name := range names {
					fromServer[kind] += server[name]
				}
			}
			counted := map[string]int64{}
			for kind := range serverKinds {
				counted[kind] = got.Statements[kind]
			}
			if diff := cmp.Diff(fromServer, counted); diff != "" {
				t.Errorf("the pool's counts differ from the server's Com_ counters for the session (-server +pool):\n%s", diff)
			}

			reg := prometheus.NewRegistry()
			reg.MustRegister(mysql.NewStatementMetrics(db))
			families, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			exposed := map[string]float64{}
			for _, f := range families {
				for _, m := range f.GetMetric() {
					key := f.GetName()
					for _, l := range m.GetLabel() {
						key += fmt.Sprintf("{%s=%s}", l.GetName(), l.GetValue())
					}
					exposed[key] = m.GetCounter().GetValue()
				}
			}
			for kind, n := range want.Statements {
				if key := "admit_mysql_statements_total{kind=" + kind + "}"; exposed[key] != float64(n) {
					t.Errorf("%s = %v, want %d", key, exposed[key], n)
				}
			}
			for outcome, n := range want.Transactions {
				if key := "admit_mysql_transactions_total{outcome=" + outcome + "}"; exposed[key] != float64(n) {
					t.Errorf("%s = %v, want %d", key, exposed[key], n)
				}
			}
			if exposed["admit_mysql_connections_opened_total"] != 1 {
				t.Errorf("admit_mysql_connections_opened_total = %v, want 1", exposed["admit_mysql_connections_opened_total"])
			}
		})
	}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func mustExec(tb testing.TB, db execer, query string, args ...any) {
	tb.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}
