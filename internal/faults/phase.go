package faults

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/admithq/admit/internal/mysql"
)

// Killer stops and restarts a component of the stack by name.
type Killer interface {
	Kill(ctx context.Context, component string) error
	Restore(ctx context.Context, component string) error
}

// ScriptKiller runs `Script kill C` and `Script restore C` (scripts/ha).
type ScriptKiller struct{ Script string }

// Kill stops component c.
func (s ScriptKiller) Kill(ctx context.Context, c string) error { return s.run(ctx, "kill", c) }

// Restore starts component c again and waits until the script says it is up.
func (s ScriptKiller) Restore(ctx context.Context, c string) error { return s.run(ctx, "restore", c) }

func (s ScriptKiller) run(ctx context.Context, verb, c string) error {
	out, err := exec.CommandContext(ctx, s.Script, verb, c).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s %s: %v: %s", s.Script, verb, c, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Phase is one fault: injected under load, held for the fault duration,
// then restored.
type Phase struct {
	Name        string
	Description string
	// Prepare, if set, runs just before Inject (waits until the fault
	// hits something in flight; saves what the fault would destroy).
	Prepare func(ctx context.Context, env *phaseEnv)
	Inject  func(ctx context.Context, env *phaseEnv) error
	Restore func(ctx context.Context, env *phaseEnv) error
	// MustSucceed: Inject also asserts the outcome (a deploy phase), so
	// its failure fails the run and stops the schedule, where a kill that
	// could not be done is only noted.
	MustSucceed bool
}

// phaseEnv is what phases act on, and which of them are in force.
type phaseEnv struct {
	killer    Killer
	toxiproxy string
	db        *mysql.DB
	fx        *fixture
	mail      *mailCollector
	logf      func(string, ...any)
	timeline  *timeline
	deploys   Deploys
	// deployedFrom is the release the "deploy" phase replaced, where
	// "rollback" must end.
	deployedFrom string

	mu     sync.Mutex
	inject []Phase
}

func (e *phaseEnv) injected(p Phase) { e.mu.Lock(); e.inject = append(e.inject, p); e.mu.Unlock() }

func (e *phaseEnv) restored(p Phase) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inject = slices.DeleteFunc(e.inject, func(q Phase) bool { return q.Name == p.Name })
}

func (e *phaseEnv) isActive(p Phase) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.ContainsFunc(e.inject, func(q Phase) bool { return q.Name == p.Name })
}

func (e *phaseEnv) active() []Phase {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.inject)
}

// DefaultPhases is the full schedule.
var DefaultPhases = []string{"haproxy1", "app1", "worker1", "mysql-writer", "redis-primary", "memcached1", "ses", "mysql1-latency", "mysql1-cut"}

// components scripts/ha can kill and restore.
var components = []string{"haproxy1", "haproxy2", "app1", "app2", "worker1", "worker2", "mysql-writer", "mysql1", "mysql2", "garbd",
	"redis-primary", "memcached1", "memcached2", "ses", "stripe-mock", "toxiproxy"}

// PhaseNames lists every phase name Phases accepts.
func PhaseNames() []string {
	names := append(slices.Clone(components), "mysql1-latency", "mysql2-latency", "mysql1-cut", "mysql2-cut")
	return append(names, deployPhases...)
}

// Phases returns the phases called names (none: no phase), killing
// components with killer and degrading connections through toxiproxy.
func Phases(names []string) ([]Phase, error) {
	var out []Phase
	for _, n := range names {
		if n == "none" {
			continue
		}
		p, ok := phase(n)
		if !ok {
			return nil, fmt.Errorf("unknown fault %q (one of: none, %s)", n, strings.Join(PhaseNames(), ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

func phase(name string) (Phase, bool) {
	if slices.Contains(deployPhases, name) {
		return deployPhase(name), true
	}
	if proxy, ok := strings.CutSuffix(name, "-latency"); ok && strings.HasPrefix(proxy, "mysql") {
		return Phase{Name: name, Description: "200 ms of latency on the apps' MySQL connections through toxiproxy " + proxy,
			Inject: func(ctx context.Context, env *phaseEnv) error {
				return env.toxic(ctx, "POST", "/proxies/"+proxy+"/toxics", map[string]any{"name": "faults_latency", "type": "latency",
					"stream": "downstream", "toxicity": 1.0, "attributes": map[string]any{"latency": 200, "jitter": 20}})
			},
			Restore: func(ctx context.Context, env *phaseEnv) error {
				return env.toxic(ctx, "DELETE", "/proxies/"+proxy+"/toxics/faults_latency", nil)
			}}, true
	}
	if proxy, ok := strings.CutSuffix(name, "-cut"); ok && strings.HasPrefix(proxy, "mysql") {
		return Phase{Name: name, Description: "the apps' MySQL connections through toxiproxy " + proxy + " cut and refused (proxy disabled)",
			Inject: func(ctx context.Context, env *phaseEnv) error {
				return env.toxic(ctx, "POST", "/proxies/"+proxy, map[string]any{"enabled": false})
			},
			Restore: func(ctx context.Context, env *phaseEnv) error {
				return env.toxic(ctx, "POST", "/proxies/"+proxy, map[string]any{"enabled": true})
			}}, true
	}
	if !slices.Contains(components, name) {
		return Phase{}, false
	}
	p := Phase{Name: name, Description: "kill " + name,
		Inject:  func(ctx context.Context, env *phaseEnv) error { return env.killer.Kill(ctx, name) },
		Restore: func(ctx context.Context, env *phaseEnv) error { return env.killer.Restore(ctx, name) }}
	switch {
	case strings.HasPrefix(name, "worker"):
		p.Description = "kill " + name + " while confirmation emails are being sent"
		p.Prepare = func(ctx context.Context, env *phaseEnv) { env.waitEmailsInFlight(ctx, 20*time.Second) }
	case name == "ses":
		p.Description = "SES down (its emulator keeps mail in memory: the store is read just before)"
		p.Prepare = func(ctx context.Context, env *phaseEnv) { env.mail.Poll(ctx) }
		inject := p.Inject
		p.Inject = func(ctx context.Context, env *phaseEnv) error {
			from := time.Now()
			err := inject(ctx, env)
			env.mail.Lost(from.Add(-3*time.Second), time.Now().Add(time.Second))
			return err
		}
	case name == "mysql-writer":
		p.Description = "kill the MySQL node taking writes (HAProxy sends them to the other)"
	case name == "redis-primary":
		p.Description = "kill the Redis primary (Sentinel promotes the replica)"
	}
	return p, true
}

// toxic calls the toxiproxy API.
func (e *phaseEnv) toxic(ctx context.Context, method, path string, body any) error {
	if e.toxiproxy == "" {
		return fmt.Errorf("no toxiproxy address (-toxiproxy)")
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(e.toxiproxy, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 && !(method == "DELETE" && resp.StatusCode == http.StatusNotFound) {
		return fmt.Errorf("toxiproxy %s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// waitEmailsInFlight waits until the run has confirmation emails not yet
// sent, so that killing a worker catches it mid-task.
func (e *phaseEnv) waitEmailsInFlight(ctx context.Context, within time.Duration) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var n int
		err := e.db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE organization_id = ? AND kind = 'email.order_confirmation'
			AND done_at IS NULL`, e.fx.OrgID).Scan(&n)
		if err == nil && n > 0 {
			e.logf("%d confirmation emails in flight", n)
			return
		} else if err != nil && err != sql.ErrNoRows {
			e.logf("counting emails in flight: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// noKiller refuses: no way to kill components was configured.
type noKiller struct{}

func (noKiller) Kill(context.Context, string) error {
	return fmt.Errorf("no way to kill components configured (-ha)")
}
func (noKiller) Restore(context.Context, string) error { return nil }
