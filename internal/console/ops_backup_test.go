package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// TestOpsBackupStatus: the Operations page says when the database was last
// backed up, and warns when the last full backup is more than a day old.
func TestOpsBackupStatus(t *testing.T) {
	f := mustOpsFixture(t)
	ctx := context.Background()
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	if _, err := f.db.SQL().Exec(`DELETE FROM backups`); err != nil {
		t.Fatal(err)
	}
	_, body := b.get("/console/alpha/ops")
	if !strings.Contains(body, `<span class="figure">never</span> last full backup`) || !strings.Contains(body, "more than a day old") {
		t.Errorf("with no backup, the page does not say so and warn")
	}
	now := time.Now().UTC()
	for _, bk := range []admit.Backup{
		{Kind: admit.BackupFull, Key: "backups/full/a.mbstream.gz", StartedAt: now.Add(-3 * time.Hour), FinishedAt: now.Add(-3 * time.Hour)},
		{Kind: admit.BackupBinlog, Key: "backups/binlog/x/mysql-bin.000002", StartedAt: now.Add(-20 * time.Second), FinishedAt: now.Add(-20 * time.Second)},
	} {
		if err := f.db.RecordBackup(ctx, bk); err != nil {
			t.Fatal(err)
		}
	}
	st, body := b.get("/console/alpha/ops")
	if st != http.StatusOK {
		t.Fatalf("ops page: %d", st)
	}
	for _, want := range []string{`<span class="figure">3.0 h ago</span> last full backup`, `s ago</span> last binary log shipped`} {
		if !strings.Contains(body, want) {
			t.Errorf("ops page lacks %q", want)
		}
	}
	if strings.Contains(body, "more than a day old") {
		t.Error("a 3-hour-old backup is called stale")
	}
}
