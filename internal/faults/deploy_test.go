package faults

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fakeDeployer plays scripts/deploy: what it prints, how it exits, and
// what runs afterwards.
type fakeDeployer struct {
	output  string
	err     error
	running map[string]string // after the deploy
	before  map[string]string
	calls   int
}

func (f *fakeDeployer) Deploy(context.Context, string, bool) (string, error) {
	f.calls++
	return f.output, f.err
}
func (f *fakeDeployer) Rollback(ctx context.Context) (string, error) { return f.Deploy(ctx, "", false) }
func (f *fakeDeployer) Running(context.Context) (map[string]string, error) {
	if f.calls == 0 {
		return f.before, nil
	}
	return f.running, nil
}

func all(release string) map[string]string {
	return map[string]string{"app1": release, "app2": release, "worker1": release, "worker2": release}
}

// TestDeployPhasesAssertTheOutcome: a deploy phase passes only when the
// script ended the way the phase expects and every server runs, ready, the
// release it should; a bad canary that was promoted, a rollback that left
// a server behind or a deploy that failed fail the run.
func TestDeployPhasesAssertTheOutcome(t *testing.T) {
	exit1 := errors.New("exit status 1")
	tests := []struct {
		name, phase string
		d           *fakeDeployer
		wantErr     string // empty: passes
	}{
		{name: "good deploy", phase: "deploy", d: &fakeDeployer{before: all("old"), running: all("good"),
			output: "ha: deployed good (previous: old): rollout 12.5s (build 0.0s)\n"}},
		{name: "good deploy that failed", phase: "deploy", d: &fakeDeployer{before: all("old"), running: all("old"), err: exit1,
			output: "ha: rolled back to old: rollout 20.0s (build 0.0s); good failed: app1 did not become ready\n"}, wantErr: "rolled back"},
		{name: "deploy leaving a worker behind", phase: "deploy", d: &fakeDeployer{before: all("old"),
			running: map[string]string{"app1": "good", "app2": "good", "worker1": "good", "worker2": "not ready"},
			output:  "ha: deployed good (previous: old): rollout 12.5s (build 0.0s)\n"}, wantErr: "worker2 runs not ready"},
		{name: "bad canary rolled back", phase: "canary-readyz", d: &fakeDeployer{before: all("old"), running: all("old"), err: exit1,
			output: "ha: app1 did not become ready\nha: rolled back to old: rollout 21.0s (build 0.0s); broken failed: app1 did not become ready\n"}},
		{name: "bad canary promoted", phase: "canary-5xx", d: &fakeDeployer{before: all("old"), running: all("broken"),
			output: "ha: deployed broken (previous: old): rollout 40.0s (build 0.0s)\n"}, wantErr: "expected rolled back to"},
		{name: "bad canary half rolled back", phase: "canary-5xx", d: &fakeDeployer{before: all("old"), err: exit1,
			running: map[string]string{"app1": "broken", "app2": "old", "worker1": "old", "worker2": "old"},
			output:  "ha: rolled back to old: rollout 30.0s (build 0.0s); broken failed: canary\n"}, wantErr: "app1 runs broken"},
		{name: "no rollout line", phase: "canary-readyz", d: &fakeDeployer{before: all("old"), running: all("old"), err: exit1,
			output: "ha: no HAProxy is running\n"}, wantErr: "no rollout line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTimeline()
			tl.Begin(tt.phase, "")
			env := &phaseEnv{timeline: tl, logf: t.Logf,
				deploys: Deploys{Deployer: tt.d, Good: "good", BrokenReadyz: "broken", BrokenRoute: "broken"}}
			p, ok := phase(tt.phase)
			if !ok || !p.MustSucceed {
				t.Fatalf("phase(%q) = %v, %v; want a phase that must succeed", tt.phase, p.Name, ok)
			}
			err := p.Inject(context.Background(), env)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Inject: %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Inject: %v, want an error containing %q", err, tt.wantErr)
			}
			if rows := tl.Availability(); rows[0].Rollout == 0 && tt.wantErr != "no rollout line" {
				t.Errorf("rollout seconds not recorded: %+v", rows[0])
			}
		})
	}
}

// TestRollbackEndsWhereTheDeployStarted: after "deploy" moved the stack
// from old to good, "rollback" must end on old, whatever the script says.
func TestRollbackEndsWhereTheDeployStarted(t *testing.T) {
	tl := newTimeline()
	d := &fakeDeployer{before: all("old"), running: all("good"), output: "ha: deployed good (previous: old): rollout 10.0s (build 0.0s)\n"}
	env := &phaseEnv{timeline: tl, logf: t.Logf, deploys: Deploys{Deployer: d, Good: "good"}}
	deploy, _ := phase("deploy")
	rollback, _ := phase("rollback")
	tl.Begin("deploy", "")
	if err := deploy.Inject(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	tl.Begin("rollback", "")
	*d = fakeDeployer{before: all("good"), running: all("older"), output: "ha: deployed older (previous: good): rollout 10.0s (build 0.0s)\n"}
	if err := rollback.Inject(context.Background(), env); err == nil || !strings.Contains(err.Error(), "expected every server on old") {
		t.Fatalf("rollback to the wrong release: %v, want an error naming old", err)
	}
	d.calls, d.running = 0, all("old")
	d.output = "ha: deployed old (previous: good): rollout 10.0s (build 0.0s)\n"
	if err := rollback.Inject(context.Background(), env); err != nil {
		t.Fatalf("rollback to old: %v", err)
	}
}
