package faults

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Deployer rolls releases out on the stack and says what runs there.
type Deployer interface {
	// Deploy rolls release out, with a canary when canary is set; the
	// error is the rollout's failure (a bad canary rolled back is one).
	// The output is what the rollout said.
	Deploy(ctx context.Context, release string, canary bool) (output string, err error)
	// Rollback deploys the previous release again.
	Rollback(ctx context.Context) (output string, err error)
	// Running names, per app server and worker, the release it runs, or
	// "not ready" if it does not answer /readyz with 200.
	Running(ctx context.Context) (map[string]string, error)
}

// Deploys are the releases the deploy phases roll out, all built before
// the run: the build is not part of what is measured.
type Deploys struct {
	Deployer Deployer
	// Good is a release that works; the "deploy" phase rolls it out and
	// "rollback" goes back from it.
	Good string
	// BrokenReadyz never turns ready; BrokenRoute answers 500 on the
	// hold route (cmd/admit/broken_*.go).
	BrokenReadyz, BrokenRoute string
}

// ScriptDeployer runs scripts/deploy and scripts/rollback, and reads
// `scripts/ha status`, all in Dir (the scripts directory).
type ScriptDeployer struct {
	Dir string
	// Canary is what --canary, --canary-wait and --ready-wait get.
	CanaryPercent         int
	CanaryWait, ReadyWait time.Duration
}

// Deploy runs scripts/deploy --release release.
func (s ScriptDeployer) Deploy(ctx context.Context, release string, canary bool) (string, error) {
	args := []string{"--release", release, "--ready-wait", seconds(s.ReadyWait)}
	if canary {
		args = append(args, "--canary", strconv.Itoa(s.CanaryPercent), "--canary-wait", seconds(s.CanaryWait))
	}
	return s.run(ctx, "deploy", args...)
}

// Rollback runs scripts/rollback.
func (s ScriptDeployer) Rollback(ctx context.Context) (string, error) { return s.run(ctx, "rollback") }

func (s ScriptDeployer) run(ctx context.Context, script string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(s.Dir, script), args...).CombinedOutput()
	if err != nil {
		err = fmt.Errorf("scripts/%s %s: %v", script, strings.Join(args, " "), err)
	}
	return string(out), err
}

// statusLine is a line of `scripts/ha status` for an app server or worker:
// "ha: app1  127.0.0.21:18081  up  pid 123  RELEASE, readyz 200".
var statusLine = regexp.MustCompile(`^ha: (app[12]|worker[12]) .* pid \S+ +(\S+), readyz (\d+)`)

// Running reads `scripts/ha status`.
func (s ScriptDeployer) Running(ctx context.Context) (map[string]string, error) {
	// status exits 1 when some component is down: the lines still say
	// what runs.
	out, _ := exec.CommandContext(ctx, filepath.Join(s.Dir, "ha"), "status").CombinedOutput()
	running := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := statusLine.FindStringSubmatch(line); m != nil {
			running[m[1]] = m[2]
			if m[3] != "200" {
				running[m[1]] = "not ready"
			}
		}
	}
	if len(running) != 4 {
		return running, fmt.Errorf("scripts/ha status names %d of app1, app2, worker1, worker2: %s", len(running), strings.TrimSpace(string(out)))
	}
	return running, nil
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d.Round(time.Second) / time.Second)) }

// deployPhases are the phases that roll releases out under the load.
var deployPhases = []string{"deploy", "rollback", "canary-readyz", "canary-5xx"}

// rolloutLine is the last line scripts/deploy prints, deployed or rolled back.
var rolloutLine = regexp.MustCompile(`ha: (deployed|rolled back to) (\S+).*: rollout ([0-9.]+)s`)

// rollout reads scripts/deploy's last line: whether it deployed or rolled
// back, the release the stack ended on, and the rollout's seconds.
func rollout(output string) (verb, release string, secs float64, ok bool) {
	ms := rolloutLine.FindAllStringSubmatch(output, -1)
	if len(ms) == 0 {
		return "", "", 0, false
	}
	m := ms[len(ms)-1]
	secs, err := strconv.ParseFloat(m[3], 64)
	return m[1], m[2], secs, err == nil
}

func deployPhase(name string) Phase {
	p := Phase{Name: name, MustSucceed: true, Restore: func(context.Context, *phaseEnv) error { return nil }}
	switch name {
	case "deploy":
		p.Description = "deploy a good release, one server at a time (rollout only: built before the run)"
		p.Inject = func(ctx context.Context, env *phaseEnv) error {
			return env.rollOut(ctx, name, env.deploys.Good, false, "deployed", env.deploys.Good)
		}
	case "rollback":
		p.Description = "roll back to the previous release (scripts/rollback)"
		p.Inject = func(ctx context.Context, env *phaseEnv) error {
			return env.rollOut(ctx, name, "", false, "deployed", "")
		}
	case "canary-readyz":
		p.Description = "canary of a build whose /readyz never turns 200: rolled back on its own"
		p.Inject = func(ctx context.Context, env *phaseEnv) error {
			return env.rollOut(ctx, name, env.deploys.BrokenReadyz, true, "rolled back to", "")
		}
	case "canary-5xx":
		p.Description = "canary of a build answering 500 on the hold route: rolled back on its own by its 5xx rate"
		p.Inject = func(ctx context.Context, env *phaseEnv) error {
			return env.rollOut(ctx, name, env.deploys.BrokenRoute, true, "rolled back to", "")
		}
	}
	return p
}

// rollOut deploys release (empty: rolls back) and checks the outcome:
// scripts/deploy ended with want ("deployed" or "rolled back to"), and
// every app server and worker runs, ready, the release it should: end if
// given, else the one before (a bad canary), or the one deployed before
// the last deploy (a rollback).
func (env *phaseEnv) rollOut(ctx context.Context, phase, release string, canary bool, want, end string) error {
	d := env.deploys.Deployer
	if d == nil || (release == "" && phase != "rollback") {
		return errors.New("no release to deploy: build them first (scripts/deploys does)")
	}
	before, err := d.Running(ctx)
	if err != nil {
		return err
	}
	from := before["app1"]
	var out string
	if release == "" {
		out, err = d.Rollback(ctx)
	} else {
		out, err = d.Deploy(ctx, release, canary)
	}
	verb, ended, secs, ok := rollout(out)
	if !ok {
		return fmt.Errorf("%v: no rollout line in its output: %s", err, lastLines(out, 8))
	}
	env.timeline.Rollout(phase, secs)
	env.logf("%s: %s %s in a rollout of %.1f s", phase, verb, ended, secs)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		env.logf("%s: | %s", phase, line)
		if strings.Contains(line, "canary") || strings.Contains(line, "failed:") {
			env.timeline.Note(phase, strings.TrimSpace(line))
		}
	}
	switch {
	case verb != want:
		return fmt.Errorf("scripts/deploy %s %s, expected %s (%v): %s", verb, ended, want, err, lastLines(out, 8))
	case want == "deployed" && err != nil:
		return fmt.Errorf("%v: %s", err, lastLines(out, 8))
	case want == "rolled back to" && err == nil:
		return fmt.Errorf("scripts/deploy rolled back yet exited 0")
	}
	switch {
	case end != "":
	case phase == "rollback" && env.deployedFrom != "":
		end = env.deployedFrom
	case phase == "rollback":
		end = ended
	default:
		end = from
	}
	if phase == "deploy" && from != release {
		env.deployedFrom = from
	}
	return env.expectRunning(ctx, end)
}

// expectRunning checks that every app server and worker runs release and
// is ready.
func (env *phaseEnv) expectRunning(ctx context.Context, release string) error {
	after, err := env.deploys.Deployer.Running(ctx)
	if err != nil {
		return err
	}
	var wrong []string
	for _, c := range []string{"app1", "app2", "worker1", "worker2"} {
		if after[c] != release {
			wrong = append(wrong, c+" runs "+after[c])
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("expected every server on %s, but %s", release, strings.Join(wrong, ", "))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
