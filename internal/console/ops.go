package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/server"
)

// OpsStore is what the operations page needs from storage.
type OpsStore interface {
	OrganizationOutboxStats(ctx context.Context, orgID int64) (admit.OutboxStats, error)
	OrganizationOutboxRows(ctx context.Context, orgID int64, ids []int64) (map[int64]admit.OutboxRow, error)
	LastBackup(ctx context.Context, kind string) (time.Time, error)
}

func (h *Handler) registerOps(admin *echo.Group) {
	admin.GET("/ops", h.opsShow)
	admin.POST("/ops/retry", h.opsRetry)
}

type failedTask struct {
	Queue     string
	TaskID    string
	OutboxID  int64
	Kind      string
	LastError string
	FailedAt  string
	Retried   int
}

type queueRow struct {
	jobs.QueueDepth
	OldestPending string
}

type opsPage struct {
	Base        basePage
	Outbox      admit.OutboxStats
	OldestAge   string
	Queues      []queueRow
	QueuesError string
	Failed      []failedTask
	Backup      backupStatus
}

// backupStatus is when the database was last backed up: every
// organization's orders depend on it, so every admin may see it.
type backupStatus struct {
	Full, Binlog     string // "3.1 h ago", or "never"
	FullAt, BinlogAt string // "2027-03-15 06:00 UTC"
	Stale            bool   // the full backup is older than a day, or missing
	Error            string
}

// opsShow shows how the background work is doing: the organization's
// waiting and failing side effects, the depth of the shared queues, and the
// organization's tasks that failed every retry. Queues are shared by every
// organization, so only their counts are shown; tasks and errors are the
// organization's own.
func (h *Handler) opsShow(c echo.Context) error {
	ctx := c.Request().Context()
	m := currentMember(c)
	page := opsPage{Base: h.base(c, "ops")}
	var err error
	if page.Outbox, err = h.store.OrganizationOutboxStats(ctx, m.org.ID); err != nil {
		return err
	}
	page.OldestAge = formatAge(page.Outbox.OldestAge)
	page.Backup = h.backupStatus(ctx)
	if h.inspector == nil {
		page.QueuesError = "The queues cannot be inspected from this server."
	} else if depths, err := jobs.QueueDepths(h.inspector); err != nil {
		server.LoggerFrom(ctx).Warn("inspecting the queues", "err", err)
		page.QueuesError = "The queues cannot be read right now (Redis does not answer)."
	} else if page.Failed, err = h.failedTasks(ctx, m.org.ID); err != nil {
		server.LoggerFrom(ctx).Warn("listing failed tasks", "err", err)
		page.QueuesError = "The failed tasks cannot be read right now."
	} else {
		for _, d := range depths {
			page.Queues = append(page.Queues, queueRow{QueueDepth: d, OldestPending: formatAge(d.Latency)})
		}
	}
	return h.html(c, http.StatusOK, "ops", page)
}

// opsRetry queues the organization's failed tasks again.
func (h *Handler) opsRetry(c echo.Context) error {
	ctx := c.Request().Context()
	m := currentMember(c)
	to := "/console/" + m.org.Slug + "/ops"
	if h.inspector == nil {
		return h.redirectWithFlash(c, to, "The queues cannot be inspected from this server.")
	}
	failed, err := h.failedTasks(ctx, m.org.ID)
	if err != nil {
		server.LoggerFrom(ctx).Warn("listing failed tasks", "err", err)
		return admit.Errorf(admit.EUNAVAILABLE, "The queues cannot be read right now. Try again in a moment.")
	}
	retried := 0
	for _, t := range failed {
		// One by one, not RunAllArchivedTasks: the queues hold every
		// organization's tasks.
		if err := h.inspector.RunTask(t.Queue, t.TaskID); err != nil {
			server.LoggerFrom(ctx).Warn("retrying a failed task", "task", t.TaskID, "err", err)
			continue
		}
		retried++
	}
	h.audit(c, "ops.retried", "", fmt.Sprintf("%d of %d failed tasks", retried, len(failed)))
	message := fmt.Sprintf("%d failed tasks queued again.", retried)
	if retried == 1 {
		message = "1 failed task queued again."
	}
	return h.redirectWithFlash(c, to, message)
}

// maxArchivedScan bounds how many archived tasks per queue the page reads.
const maxArchivedScan = 5000

// failedTasks returns the organization's archived tasks: asynq knows them by
// task id, and the outbox row behind each says whose it is.
func (h *Handler) failedTasks(ctx context.Context, orgID int64) ([]failedTask, error) {
	names, err := jobs.QueueNames(h.inspector)
	if err != nil {
		return nil, err
	}
	var tasks []failedTask
	var ids []int64
	for _, q := range names {
		for page := 1; page*100 <= maxArchivedScan; page++ {
			infos, err := h.inspector.ListArchivedTasks(q, asynq.PageSize(100), asynq.Page(page))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break // deleted meanwhile
			} else if err != nil {
				return nil, err
			}
			for _, info := range infos {
				id := outboxIDOfTask(info)
				if id == 0 {
					continue
				}
				tasks = append(tasks, failedTask{Queue: q, TaskID: info.ID, OutboxID: id, LastError: info.LastErr,
					FailedAt: info.LastFailedAt.UTC().Format("2006-01-02 15:04:05"), Retried: info.Retried})
				ids = append(ids, id)
			}
			if len(infos) < 100 {
				break
			}
		}
	}
	own, err := h.store.OrganizationOutboxRows(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	mine := tasks[:0]
	for _, t := range tasks {
		if row, ok := own[t.OutboxID]; ok {
			t.Kind = string(row.Kind)
			mine = append(mine, t)
		}
	}
	return mine, nil
}

// outboxIDOfTask returns the outbox row an outbox task performs (its task id
// is jobs.TaskID of the row), or 0 for any other task.
func outboxIDOfTask(info *asynq.TaskInfo) int64 {
	if info.Type != jobs.TypeOutbox {
		return 0
	}
	rest, ok := strings.CutPrefix(info.ID, "outbox:")
	if !ok {
		return 0
	}
	id, _ := strconv.ParseInt(rest, 10, 64)
	return id
}

func formatAge(d time.Duration) string {
	switch {
	case d <= 0:
		return "none"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + " h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days"
}

func (h *Handler) backupStatus(ctx context.Context) backupStatus {
	var b backupStatus
	describe := func(kind string) (age, when string, at time.Time, ok bool) {
		at, err := h.store.LastBackup(ctx, kind)
		if err != nil {
			server.LoggerFrom(ctx).Warn("reading the last backup", "kind", kind, "err", err)
			b.Error = "The backup records cannot be read right now."
			return "", "", at, false
		}
		if at.IsZero() {
			return "never", "", at, true
		}
		return formatAge(time.Since(at)) + " ago", at.UTC().Format("2006-01-02 15:04 UTC"), at, true
	}
	var full time.Time
	var ok bool
	if b.Full, b.FullAt, full, ok = describe(admit.BackupFull); ok {
		b.Stale = time.Since(full) > 24*time.Hour
	}
	b.Binlog, b.BinlogAt, _, _ = describe(admit.BackupBinlog)
	return b
}
