package backup_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/mysqltest"
	"github.com/admithq/admit/internal/s3/s3test"
)

// TestRestoreDrill is the operator's nightmare, rehearsed on a MariaDB of
// the test's own (the single stack's setup): see runDrill. Buyers call the
// checkout in process, and the drill marks confirmation emails sent as the
// worker does, since no worker runs here. TestRestoreDrillHA runs the same
// drill against the paired stack.
func TestRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the restore drill starts two MariaDB servers")
	}
	ctx := mustContext(t, 5*time.Minute)
	dsn := mustSourceServer(t, sourcePort())
	db, err := mysql.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st, prefix := s3test.MustStore(t)
	b := &backup.Backer{Store: st, Prefix: prefix + backup.Prefix, DSN: dsn, Recorder: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	co := checkout.New(checkout.Options{Ledger: db, BaseURL: "http://drill", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runDrill(t, ctx, drillStack{
		DB: db, LiveDSN: dsn, Sell: inProcessSeller{co}, Buyers: 6, Quantity: 1500, Mailer: true,
		Full:     b.Full,
		Ship:     func(ctx context.Context) error { _, err := b.ShipBinlogs(ctx); return err },
		Restorer: b, RestorePort: sourcePort() + 1, RestoreDir: filepath.Join(t.TempDir(), "restored"),
	})
}

// inProcessSeller buys through the checkout service itself.
type inProcessSeller struct{ co *checkout.Checkout }

func (s inProcessSeller) Hold(ctx context.Context, _ *admit.Organization, ev *admit.Event, tt *admit.TicketType) (held, error) {
	h, err := s.co.Hold(ctx, ev, []admit.HoldItem{{TicketTypeID: tt.ID, Quantity: 1}}, checkout.Client{})
	if err != nil {
		return held{}, err
	}
	return held{ID: h.ID}, nil
}

func (s inProcessSeller) Order(ctx context.Context, h held, buyer string) (string, bool, error) {
	placed, err := s.co.PlaceOrder(ctx, h.ID, admit.OrderRequest{BuyerName: "Buyer", BuyerEmail: buyer})
	if err != nil {
		return "", false, err
	}
	return placed.Order.Reference, placed.Order.Status == admit.OrderPaid, nil
}

// TestMetricsLastBackup: /metrics carries when the last backup of each kind
// finished, 0 before the first.
func TestMetricsLastBackup(t *testing.T) {
	db := mysqltest.MustOpen(t)
	ctx := context.Background()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(backup.NewMetrics(db, slog.New(slog.NewTextHandler(io.Discard, nil))))
	read := func() map[string]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				out[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
		return out
	}
	if got := read(); got["full"] != 0 || got["binlog"] != 0 {
		t.Errorf("before any backup: %v, want 0 for both", got)
	}
	at := time.Date(2027, 3, 15, 9, 0, 3, 0, time.UTC)
	if err := db.RecordBackup(ctx, admit.Backup{Kind: admit.BackupFull, Key: "k", StartedAt: at.Add(-time.Minute), FinishedAt: at}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got["full"] != float64(at.Unix()) || got["binlog"] != 0 {
		t.Errorf("after a full backup at %v: %v", at, got)
	}
}

// mustEnv is a setting the test cannot run without.
func mustEnv(tb testing.TB, name string) string {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		tb.Fatalf("%s is not set (scripts/ha env prints it)", name)
	}
	return v
}
