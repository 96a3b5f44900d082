package backup

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
)

// LastBackuper says when the last backup of a kind finished (mysql.DB).
type LastBackuper interface {
	LastBackup(ctx context.Context, kind string) (time.Time, error)
}

// Metrics exposes when the last good backup of each kind finished, read
// from the backups table at scrape time, so an alert can fire when it is
// older than a day (ops/prometheus/alerts.yml). No backup yet is 0.
type Metrics struct {
	store  LastBackuper
	logger *slog.Logger
	last   *prometheus.Desc
}

// NewMetrics returns the collector; register it with the server's registry.
func NewMetrics(store LastBackuper, logger *slog.Logger) *Metrics {
	return &Metrics{store: store, logger: logger,
		last: prometheus.NewDesc("admit_backup_last_success_timestamp_seconds",
			"When the last good backup finished (Unix time; 0: never), by kind: full, or binlog (the binary log shipped for point-in-time recovery).",
			[]string{"kind"}, nil)}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.last }

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, kind := range []string{admit.BackupFull, admit.BackupBinlog} {
		at, err := m.store.LastBackup(ctx, kind)
		if err != nil {
			m.logger.Warn("metrics: reading the last backup", "kind", kind, "err", err)
			return
		}
		var v float64
		if !at.IsZero() {
			v = float64(at.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(m.last, prometheus.GaugeValue, v, kind)
	}
}
