package main

import (
	"context"
	"fmt"
	"time"

	"github.com/admithq/admit/internal/bench"
	"github.com/admithq/admit/internal/faults"
)

// benchFault is admit bench onsale's -fault: one component of the paired
// stack killed during the HTTP run's burst, through scripts/ha, as admit
// faults does under its steady load.
type benchFault struct {
	component, script string
	at, hold          time.Duration

	ended  chan struct{} // closed when the run's buyers are done
	result chan *bench.Fault
}

// start kills the component f.at from now, in the background, and restores
// it f.hold later if that is set; nothing happens without -fault.
func (f *benchFault) start(ctx context.Context, env *environment) {
	if f.component == "" {
		return
	}
	f.ended, f.result = make(chan struct{}), make(chan *bench.Fault, 1)
	killer := faults.ScriptKiller{Script: f.script}
	t0 := time.Now()
	go func() {
		r := &bench.Fault{Component: f.component}
		defer func() { f.result <- r }()
		select {
		case <-time.After(f.at):
		case <-f.ended:
			r.Error = "the run ended before the fault was due"
			return
		}
		fmt.Fprintf(env.stderr, "bench: killing %s\n", f.component)
		at := time.Since(t0).Seconds()
		if err := killer.Kill(ctx, f.component); err != nil {
			r.Error = err.Error()
			return
		}
		r.KilledAt = at
		if f.hold > 0 {
			time.Sleep(f.hold)
			f.restore(ctx, env, killer, r)
		}
	}()
}

// runEnded says the run's buyers are done: a kill not yet due is called
// off.
func (f *benchFault) runEnded() {
	if f.component != "" {
		close(f.ended)
	}
}

// finish waits for the fault and restores the component if it is still
// down; its result goes to the run's report.
func (f *benchFault) finish(ctx context.Context, env *environment) *bench.Fault {
	if f.component == "" {
		return nil
	}
	r := <-f.result
	if r.KilledAt > 0 && !r.Restored && r.Error == "" {
		f.restore(ctx, env, faults.ScriptKiller{Script: f.script}, r)
	}
	return r
}

func (f *benchFault) restore(ctx context.Context, env *environment, killer faults.ScriptKiller, r *bench.Fault) {
	fmt.Fprintf(env.stderr, "bench: restoring %s\n", f.component)
	t := time.Now()
	if err := killer.Restore(ctx, f.component); err != nil {
		r.Error = err.Error()
		return
	}
	r.Restored, r.RestoreSeconds = true, time.Since(t).Seconds()
	r.DuringRun = f.hold > 0
}
