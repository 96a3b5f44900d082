package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/jobs"
)

// mustArchivedTasks puts one outbox task per outbox row in a queue of the
// test's own, has each fail its only attempt with an error naming its row,
// and returns once asynq has archived them all.
func mustArchivedTasks(tb testing.TB, queue string, outboxIDs ...int64) {
	tb.Helper()
	client := asynq.NewClient(opsRedis)
	defer client.Close()
	for _, id := range outboxIDs {
		payload, _ := json.Marshal(map[string]int64{"outbox_id": id})
		if _, err := client.Enqueue(asynq.NewTask(jobs.TypeOutbox, payload), asynq.TaskID(jobs.TaskID(id)),
			asynq.Queue(queue), asynq.MaxRetry(0)); err != nil {
			tb.Fatal(err)
		}
	}
	srv := asynq.NewServer(opsRedis, asynq.Config{Queues: map[string]int{queue: 1}, Concurrency: 2,
		LogLevel: asynq.FatalLevel, ShutdownTimeout: time.Second})
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeOutbox, func(ctx context.Context, task *asynq.Task) error {
		var p struct {
			ID int64 `json:"outbox_id"`
		}
		json.Unmarshal(task.Payload(), &p)
		return fmt.Errorf("SES rejected the message for row %d", p.ID)
	})
	if err := srv.Start(mux); err != nil {
		tb.Fatal(err)
	}
	defer srv.Shutdown()
	inspector := asynq.NewInspector(opsRedis)
	defer inspector.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := inspector.GetQueueInfo(queue)
		if err == nil && info.Archived == len(outboxIDs) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("tasks were not archived in time: %+v %v", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *opsFixture) mustOutboxRow(tb testing.TB, org *admit.Organization, kind, lastError string, age time.Duration) int64 {
	tb.Helper()
	res, err := f.db.SQL().Exec(`INSERT INTO outbox (organization_id, kind, payload, last_error, attempts, created_at)
		VALUES (?, ?, '{}', ?, 1, NOW(6) - INTERVAL ? SECOND)`, org.ID, kind, lastError, int(age.Seconds()))
	if err != nil {
		tb.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

// TestOpsPage: the operations page shows the organization's outbox backlog,
// the depth of every queue, and the organization's own failed tasks with
// their last error, never another organization's; retrying queues exactly
// the organization's failed tasks again.
func TestOpsPage(t *testing.T) {
	f := mustOpsFixture(t)
	queue := "test-ops-" + admit.NewToken(6)
	t.Cleanup(func() {
		if err := f.inspector.DeleteQueue(queue, true); err != nil {
			t.Errorf("deleting the test's queue: %v", err)
		}
	})
	// mustTenant's offline orders left one order.placed row each; they are
	// done for this test.
	if _, err := f.db.SQL().Exec(`UPDATE outbox SET done_at = NOW(6)`); err != nil {
		t.Fatal(err)
	}
	alphaRow := f.mustOutboxRow(t, f.a.org, "webhook.order.paid", "endpoint answered 500", 3*time.Minute)
	betaRow := f.mustOutboxRow(t, f.b.org, "email.order_confirmation", "SES said no", time.Hour)
	mustArchivedTasks(t, queue, alphaRow, betaRow)

	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	st, body := b.get("/console/alpha/ops")
	if st != http.StatusOK {
		t.Fatalf("ops page: %d", st)
	}
	for _, want := range []string{
		"<td>" + queue + "</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td>", // shared queue: both archived tasks counted
		"<td>critical</td>", "<td>default</td>", "<td>low</td>",
		`<span class="figure">1</span> waiting`, `<span class="figure">3 min</span> oldest waiting`, `<span class="figure">1</span> failing`,
		fmt.Sprintf("webhook.order.paid <small>#%d</small>", alphaRow),
		fmt.Sprintf("SES rejected the message for row %d", alphaRow),
		"Retry 1 failed task",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("ops page lacks %q", want)
		}
	}
	if strings.Contains(body, fmt.Sprintf("row %d", betaRow)) || strings.Contains(body, "email.order_confirmation") {
		t.Error("alpha's ops page shows beta's failed task")
	}

	if st, loc := b.post("/console/alpha/ops/retry", nil); st != http.StatusSeeOther || loc != "/console/alpha/ops" {
		t.Fatalf("retry: %d %s", st, loc)
	}
	state := func(outboxID int64) asynq.TaskState {
		info, err := f.inspector.GetTaskInfo(queue, jobs.TaskID(outboxID))
		if err != nil {
			t.Fatal(err)
		}
		return info.State
	}
	if s := state(alphaRow); s != asynq.TaskStatePending {
		t.Errorf("alpha's task is %v after the retry, want pending", s)
	}
	if s := state(betaRow); s != asynq.TaskStateArchived {
		t.Errorf("beta's task is %v after alpha's retry, want archived", s)
	}
	if st, body := b.get("/console/alpha/ops"); st != http.StatusOK || !strings.Contains(body, "1 failed task queued again.") ||
		strings.Contains(body, "Retry 1 failed task") {
		t.Errorf("ops page after the retry: %d", st)
	}
	if n := f.audited(t, f.a.org, "ops.retried"); n != 1 {
		t.Errorf("%d ops.retried audit entries, want 1", n)
	}

	// Beta sees its own task and retries it; alpha's is not touched again.
	beta := f.newBrowser(t)
	beta.mustLogin(f.b.owner.Email)
	if _, body := beta.get("/console/beta/ops"); !strings.Contains(body, fmt.Sprintf("row %d", betaRow)) ||
		strings.Contains(body, fmt.Sprintf("row %d", alphaRow)) {
		t.Error("beta's ops page does not show exactly beta's failed task")
	}
	if st, _ := beta.post("/console/beta/ops/retry", nil); st != http.StatusSeeOther {
		t.Fatalf("beta's retry: %d", st)
	}
	if s := state(betaRow); s != asynq.TaskStatePending {
		t.Errorf("beta's task is %v after beta's retry, want pending", s)
	}
}

// TestOpsCSRF: the retry button needs the page's token.
func TestOpsCSRF(t *testing.T) {
	f := mustOpsFixture(t)
	queue := "test-ops-" + admit.NewToken(6)
	t.Cleanup(func() {
		if err := f.inspector.DeleteQueue(queue, true); err != nil {
			t.Errorf("deleting the test's queue: %v", err)
		}
	})
	row := f.mustOutboxRow(t, f.a.org, "webhook.order.paid", "boom", time.Minute)
	mustArchivedTasks(t, queue, row)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	if st, _ := b.post("/console/alpha/ops/retry", map[string][]string{"_csrf": {"forged"}}); st != http.StatusForbidden {
		t.Errorf("forged retry: %d, want 403", st)
	}
	info, err := f.inspector.GetTaskInfo(queue, jobs.TaskID(row))
	if err != nil || info.State != asynq.TaskStateArchived {
		t.Errorf("after a forged retry the task is %v (%v), want archived", info.State, err)
	}
}

// TestOpsRedisDown: without Redis the page still shows the outbox figures
// and says the queues cannot be read, and a retry is refused, not claimed.
func TestOpsRedisDown(t *testing.T) {
	f := mustOpsFixture(t, asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 500 * time.Millisecond})
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	st, body := b.get("/console/alpha/ops")
	if st != http.StatusOK || !strings.Contains(body, "The queues cannot be read right now") || !strings.Contains(body, "waiting") {
		t.Errorf("ops page with Redis down: %d", st)
	}
	if st, _ := b.post("/console/alpha/ops/retry", nil); st != http.StatusServiceUnavailable {
		t.Errorf("retry with Redis down: %d, want 503", st)
	}
}
