package mysql_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
)

// TestBatchScript: a batch sends several statements per round trip on a
// session whose transaction its first statement opens. A statement that
// fails, the last of its script included, fails the batch whole: nothing
// of it commits, and the session goes back to the pool outside any
// transaction, as the pool's other sessions are, so the next batch on it
// starts clean.
func TestBatchScript(t *testing.T) {
	db, err := mysql.Open(mysqltest.MustDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	// One session, so every batch below runs on the same one.
	db.BatchSQL().SetMaxOpenConns(1)
	if _, err := db.SQL().Exec(`CREATE TABLE IF NOT EXISTS script_probe (id INT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.SQL().Exec(`DROP TABLE script_probe`) })
	db.SQL().Exec(`DELETE FROM script_probe`)
	count := func() (n int) {
		t.Helper()
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM script_probe`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The last statement fails after a read: the batch fails with its
	// error, and the inserts before it are gone.
	_, err = db.BatchScript(ctx, false, `INSERT INTO script_probe VALUES (1)`, `SELECT id FROM script_probe`, `INSERT INTO script_probe VALUES (1)`)
	if me := (*gomysql.MySQLError)(nil); !errors.As(err, &me) || me.Number != 1062 {
		t.Fatalf("a script whose last statement is a duplicate: %v, want the duplicate error", err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows of a failed batch committed", n)
	}
	// A failing statement in the middle stops the rest.
	if _, err := db.BatchScript(ctx, false, `INSERT INTO script_probe VALUES (2)`, `SELECT nope FROM script_probe`, `INSERT INTO script_probe VALUES (3)`); err == nil {
		t.Fatal("a script with an unknown column succeeded")
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows of a failed batch committed", n)
	}

	// The same session, next: no transaction left open, autocommit still
	// off, and no causal wait left on for every statement, even by a
	// script whose first (causal) statement failed.
	const state = `SELECT CONCAT(@@in_transaction, ' ', IF(@@autocommit, 'on', 'off'), ' ', @@wsrep_sync_wait)`
	if _, err := db.BatchScript(ctx, true, `SELECT nope FROM script_probe`, `INSERT INTO script_probe VALUES (3)`); err == nil {
		t.Fatal("a causal script with an unknown column succeeded")
	}
	if got, err := db.BatchScript(ctx, false, state); err != nil || !reflect.DeepEqual(got, [][]string{{"0 off 0"}}) {
		t.Fatalf("after a failed causal script: session state %v (%v), want 0 off 0", got, err)
	}
	got, err := db.BatchScript(ctx, true, state, state)
	if err != nil {
		t.Fatal(err)
	}
	// The first read waits causally (1), the rest do not (0).
	if want := [][]string{{"0 off 1"}, {"0 off 0"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("session state (in_transaction autocommit wsrep_sync_wait) = %v, want %v", got, want)
	}

	// A batch that succeeds commits every statement of its scripts, and
	// reads its own writes within them.
	got, err = db.BatchScript(ctx, false, `INSERT INTO script_probe VALUES (4), (5)`, `SELECT ROW_COUNT()`, `SELECT id FROM script_probe ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"2"}, {"4", "5"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("reads = %v, want %v", got, want)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d rows committed, want 2", n)
	}

	// A guard that fails stops the script before the rest and before its
	// COMMIT: the batch fails with errGuard and nothing of it commits.
	_, err = db.BatchScript(ctx, false, `INSERT INTO script_probe VALUES (6)`, `UPDATE script_probe SET id = id + 10 WHERE id IN (4, 5, 7)`, "GUARD 3",
		`INSERT INTO script_probe VALUES (8)`, "COMMIT")
	if !mysql.IsGuardFailure(err) {
		t.Fatalf("a script whose guarded UPDATE changed 2 rows of 3: %v, want the guard's failure", err)
	}
	got, err = db.BatchScript(ctx, false, state, `SELECT id FROM script_probe ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"0 off 0"}, {"4", "5"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after a failed guard: session state and rows = %v, want %v", got, want)
	}
	// A guard that holds lets the script run on to its COMMIT; the
	// session goes back to the pool outside any transaction.
	if _, err := db.BatchScript(ctx, false, `INSERT INTO script_probe VALUES (6)`, `UPDATE script_probe SET id = id + 10 WHERE id IN (4, 5)`, "GUARD 2",
		`INSERT INTO script_probe VALUES (8)`, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	got, err = db.BatchScript(ctx, false, state, `SELECT id FROM script_probe ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"0 off 0"}, {"6", "8", "14", "15"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after a guarded commit: session state and rows = %v, want %v", got, want)
	}
}
