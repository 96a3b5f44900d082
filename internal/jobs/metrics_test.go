package jobs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/jobs"
	"github.com/admithq/admit/internal/mysqltest"
)

// opsRedisDB is the Redis database of the operations tests; they use queues
// of their own names and never flush it.
const opsRedisDB = 8

// gathered returns each sample of reg as "name{label=value,...}" -> value.
func gathered(tb testing.TB, reg *prometheus.Registry) map[string]float64 {
	tb.Helper()
	families, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			if len(m.GetLabel()) > 0 {
				key += "{"
				for i, l := range m.GetLabel() {
					if i > 0 {
						key += ","
					}
					key += l.GetName() + "=" + l.GetValue()
				}
				key += "}"
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// TestOpsMetrics: the collector reports each queue's tasks by state and the
// outbox backlog at scrape time; when Redis does not answer, the scrape
// still succeeds, promptly, with the outbox figures.
func TestOpsMetrics(t *testing.T) {
	db := mysqltest.MustOpen(t)
	orgID, _ := mustOrganization(t, db, "metrics", "Mia Metrics")
	mustExec(t, db, `INSERT INTO outbox (organization_id, kind, payload, created_at) VALUES (?, 'webhook.order.paid', '{}', NOW(6) - INTERVAL 90 SECOND)`, orgID)
	mustExec(t, db, `INSERT INTO outbox (organization_id, kind, payload, last_error) VALUES (?, 'email.order_confirmation', '{}', 'SES said no')`, orgID)
	mustExec(t, db, `INSERT INTO outbox (organization_id, kind, payload, done_at) VALUES (?, 'email.order_confirmation', '{}', NOW(6) - INTERVAL 1 HOUR)`, orgID)

	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:16379", DB: opsRedisDB}
	queue := "test-metrics-" + admit.NewToken(6)
	client := asynq.NewClient(opt)
	defer client.Close()
	inspector := asynq.NewInspector(opt)
	t.Cleanup(func() {
		if err := inspector.DeleteQueue(queue, true); err != nil {
			t.Errorf("deleting the test's queue: %v", err)
		}
		inspector.Close()
	})
	for _, o := range [][]asynq.Option{{}, {}, {asynq.ProcessIn(time.Hour)}} {
		if _, err := client.Enqueue(asynq.NewTask("test", nil), append(o, asynq.Queue(queue))...); err != nil {
			t.Fatal(err)
		}
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(jobs.NewMetrics(inspector, db, discardLogger()))
	got := gathered(t, reg)
	for key, want := range map[string]float64{
		"admit_queue_tasks{queue=" + queue + ",state=pending}":   2,
		"admit_queue_tasks{queue=" + queue + ",state=scheduled}": 1,
		"admit_queue_tasks{queue=" + queue + ",state=archived}":  0,
		"admit_outbox_pending":                                   2,
		"admit_outbox_failing":                                   1,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (reported %v), want %v", key, v, ok, want)
		}
	}
	if _, ok := got["admit_queue_tasks{queue=low,state=pending}"]; !ok {
		t.Error("admit's own queues are not reported when they are empty")
	}
	if age := got["admit_outbox_oldest_seconds"]; age < 89 || age > 600 {
		t.Errorf("admit_outbox_oldest_seconds = %v, want about 90", age)
	}

	down := asynq.NewInspector(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DB: opsRedisDB, DialTimeout: time.Second})
	defer down.Close()
	reg = prometheus.NewPedanticRegistry()
	reg.MustRegister(jobs.NewMetrics(down, db, discardLogger()))
	start := time.Now()
	got = gathered(t, reg)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a scrape with Redis down took %v", took)
	}
	if got["admit_outbox_pending"] != 2 {
		t.Errorf("with Redis down, admit_outbox_pending = %v, want 2", got["admit_outbox_pending"])
	}
	for key := range got {
		if strings.HasPrefix(key, "admit_queue_tasks") {
			t.Errorf("with Redis down, %s is reported", key)
		}
	}
}
