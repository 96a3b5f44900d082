package backup_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/s3/s3test"
)

// TestShipBinlogsRefusesANewHistory: a server whose data directory was
// replaced (a rollback to a restored copy) numbers its binary log from 1
// again. Shipping must say so rather than take the new files for the old
// ones already in the bucket, and ships again once the numbering is moved
// past the old history's.
func TestShipBinlogsRefusesANewHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	ctx := mustContext(t, 5*time.Minute)
	dsn := mustSourceServer(t, sourcePort()+2)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, prefix := s3test.MustStore(t)
	b := &backup.Backer{Store: st, Prefix: prefix + backup.Prefix, DSN: dsn}
	mustExec := func(query string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}

	mustExec(`CREATE TABLE history (id INT PRIMARY KEY, note VARCHAR(100))`)
	mustExec(`INSERT INTO history VALUES (1, 'the old history')`)
	if shipped, err := b.ShipBinlogs(ctx); err != nil || len(shipped) == 0 {
		t.Fatalf("first shipment: %v, %v", shipped, err)
	}

	mustExec(`RESET MASTER`)
	mustExec(`INSERT INTO history VALUES (2, 'the new history, numbered from 1 again')`)
	shipped, err := b.ShipBinlogs(ctx)
	if err == nil || !strings.Contains(err.Error(), "RESET MASTER TO") {
		t.Fatalf("shipping a new history under the old names: shipped %v, err %v; want an error naming the fix", shipped, err)
	}

	mustExec(`RESET MASTER TO 100`)
	mustExec(`INSERT INTO history VALUES (3, 'the new history, past the old numbers')`)
	shipped, err = b.ShipBinlogs(ctx)
	if err != nil || len(shipped) == 0 || shipped[0] != "mysql-bin.000100" {
		t.Fatalf("after RESET MASTER TO 100: shipped %v, %v; want mysql-bin.000100 first", shipped, err)
	}
}
