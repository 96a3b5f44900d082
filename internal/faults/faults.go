// Package faults is the fault test behind `admit faults`: it sets up an
// event through the product, plays a steady stream of buyers through both
// HAProxy addresses (failing over between them as a real client would),
// kills or degrades one component at a time under that load, restores it,
// and at the end proves the invariants from MySQL, the SES store and a
// webhook receiver of its own: no oversell, no lost paid order, no double
// effect, every side effect performed.
package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/admithq/admit/internal/mysql"
)

// Options configure one run.
type Options struct {
	// URLs are the addresses buyers and the organizer's integration use,
	// in order of preference (the HAProxy pair); a request that cannot
	// connect, or gets a 5xx, goes to the next one.
	URLs []string
	// MySQLDSN reaches the ledger, for the setup and the checks.
	MySQLDSN string
	// GaleraDSNs reach each Galera node itself (not through a load
	// balancer): their conflict counters prove that one node took the
	// writes through every phase. Empty: not checked.
	GaleraDSNs []string
	// SESURL is the SES emulator, whose GET /store lists sent mail.
	SESURL string
	// Toxiproxy is the toxiproxy API address; needed by the toxiproxy
	// phases only.
	Toxiproxy string
	// StripeWebhookSecret, when set, makes some paid buyers pay by card:
	// the run plays Stripe and sends the signed payment event the way
	// Stripe would. Empty: paid orders use offline payment, marked paid
	// by the organizer's integration through /api/v1.
	StripeWebhookSecret string
	// ReceiverAddr is where the webhook receiver listens (loopback).
	ReceiverAddr string
	// LimitedQuantity is the size of the small ticket type that sells out
	// early; 40 unless set.
	LimitedQuantity int

	// Phases are the faults to inject, in order (see Phases).
	Phases []Phase
	// Killer kills and restores components (scripts/ha, or a test's own).
	Killer Killer
	// Deploys are what the deploy phases roll out.
	Deploys Deploys
	// Baseline is load without a fault before the first phase.
	Baseline time.Duration
	// Fault is how long each fault lasts; Settle how long the load runs
	// after the restore before the next phase.
	Fault, Settle time.Duration
	// Rate is new buyers per second; Concurrency caps buyers in flight.
	Rate        float64
	Concurrency int
	// PayWithin is how long a buyer of a pending order waits to be told
	// it is paid.
	PayWithin time.Duration
	// Drain is how long to wait, after the load, for every email and
	// webhook to be delivered before checking.
	Drain time.Duration

	Log io.Writer // progress lines; nil: none
}

// Run sets up, plays the load through the phases, drains, checks and
// returns the report. An error means the run itself could not proceed (the
// setup failed, a component could not be restored); broken invariants are
// in the report.
func Run(ctx context.Context, o Options) (rep *Report, err error) {
	if len(o.URLs) == 0 {
		return nil, errors.New("faults: no URL to send buyers to")
	}
	o.setDefaults()
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, "faults: "+format+"\n", args...)
		}
	}
	db, err := mysql.Open(o.MySQLDSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	recv, err := startReceiver(o.ReceiverAddr)
	if err != nil {
		return nil, err
	}
	defer recv.Close()

	httpClient := newHTTPClient(o.Concurrency)
	defer httpClient.CloseIdleConnections()
	api := &client{urls: o.URLs, http: httpClient}

	fx, err := setup(ctx, db, api, recv.URL(), o.StripeWebhookSecret != "", o.LimitedQuantity)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	recv.SetSecret(fx.WebhookSecret)
	logf("event %s/%s: %s; webhook endpoint %d -> %s", fx.OrgSlug, fx.EventSlug, fx.describeTypes(), fx.EndpointID, recv.URL())

	mail, stopMail := startMailCollector(ctx, o.SESURL, fx.Tag)
	defer stopMail()

	rep = &Report{Event: fx.OrgSlug + "/" + fx.EventSlug, URLs: o.URLs, Started: time.Now(), fx: fx}
	galera := mysql.ReadGalera(ctx, o.GaleraDSNs)
	timeline := newTimeline()
	load := newLoad(api, fx, timeline, o, db.SQL())
	stopTraffic := startTraffic(ctx, api, fx, load, logf)

	env := &phaseEnv{killer: o.Killer, db: db, fx: fx, mail: mail, toxiproxy: o.Toxiproxy, logf: logf, timeline: timeline, deploys: o.Deploys}
	// Whatever happens, what this run broke is put back.
	defer func() {
		if rerr := env.restoreAll(ctx); rerr != nil && err == nil {
			err = rerr
		}
	}()

	runErr := playSchedule(ctx, o, env, timeline)
	timeline.Begin("after", "")
	stopTraffic()
	timeline.End()
	rep.LoadEnded = time.Now()

	logf("draining: waiting up to %s for every email and webhook", o.Drain)
	drainCtx, cancelDrain := context.WithTimeout(context.WithoutCancel(ctx), o.Drain)
	drained := waitDrained(drainCtx, db, fx, mail, recv, logf)
	cancelDrain()
	mail.Poll(context.WithoutCancel(ctx))
	rep.Drained = drained

	rep.Buyers = load.Summary()
	rep.Phases = timeline.Availability()
	checkCtx, cancelCheck := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer cancelCheck()
	rep.told = load.Told()
	rep.Checks = Check(checkCtx, db.SQL(), fx, rep.told, mail, recv)
	if len(o.GaleraDSNs) > 0 {
		rep.Checks = append(rep.Checks, checkOneWriter(mysql.GaleraDelta(galera, mysql.ReadGalera(checkCtx, o.GaleraDSNs))))
	}
	rep.Finished = time.Now()
	return rep, runErr
}

// restoreWithin bounds one restore: a Galera node that rejoins after a
// kill recovers InnoDB, then takes the missing write sets by IST, which on
// a loaded machine took two minutes; scripts/ha itself allows five.
const restoreWithin = 6 * time.Minute

// setDefaults fills in what the caller left zero.
func (o *Options) setDefaults() {
	if o.Killer == nil {
		o.Killer = noKiller{}
	}
	if o.LimitedQuantity <= 0 {
		o.LimitedQuantity = 40
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 300
	}
	if o.Rate <= 0 {
		o.Rate = 10
	}
	if o.PayWithin <= 0 {
		o.PayWithin = 2 * time.Minute
	}
	if o.Drain <= 0 {
		o.Drain = 5 * time.Minute
	}
}

// playSchedule runs the baseline, then each phase in turn: inject the
// fault, keep it for o.Fault, restore it, settle. A phase that cannot be
// restored stops the schedule, since the next phase's fault would be
// measured on a broken system.
func playSchedule(ctx context.Context, o Options, env *phaseEnv, timeline *timeline) error {
	timeline.Begin("baseline", "")
	env.logf("baseline: %s of load without a fault", o.Baseline)
	sleep(ctx, o.Baseline)
	for _, p := range o.Phases {
		if ctx.Err() != nil {
			break
		}
		timeline.Begin(p.Name, p.Description)
		env.logf("%s: %s", p.Name, p.Description)
		if p.Prepare != nil {
			p.Prepare(ctx, env)
		}
		if err := p.Inject(ctx, env); err != nil && p.MustSucceed {
			timeline.Note(p.Name, "FAILED: "+err.Error())
			env.logf("%s: FAILED: %v; stopping the schedule", p.Name, err)
			return fmt.Errorf("%s: %w", p.Name, err)
		} else if err != nil {
			timeline.Note(p.Name, "inject failed: "+err.Error())
			env.logf("%s: inject failed: %v", p.Name, err)
		} else {
			env.injected(p)
			sleep(ctx, o.Fault)
		}
		if env.isActive(p) {
			env.logf("%s: restoring", p.Name)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreWithin)
			rerr := p.Restore(rctx, env)
			cancel()
			env.restored(p)
			if rerr != nil {
				timeline.Note(p.Name, "restore failed: "+rerr.Error())
				env.logf("%s: restore failed: %v; stopping the schedule", p.Name, rerr)
				return fmt.Errorf("restoring %s: %w", p.Name, rerr)
			}
		}
		sleep(ctx, o.Settle)
	}
	return nil
}

// startTraffic starts the buyers and the organizer; stop ends both and
// waits for what they have in flight.
func startTraffic(ctx context.Context, api *client, fx *fixture, load *load, logf func(string, ...any)) (stop func()) {
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { load.Run(loadCtx); close(loadDone) }()
	organizerCtx, stopOrganizer := context.WithCancel(ctx)
	organizerDone := make(chan struct{})
	go func() { runOrganizer(organizerCtx, api, fx, load.note); close(organizerDone) }()
	return func() {
		stopLoad()
		logf("load stopped; waiting for buyers in flight")
		<-loadDone
		stopOrganizer()
		<-organizerDone
	}
}

// sleep waits d, or less if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// restoreAll puts back every fault still active, whatever the schedule
// reached.
func (env *phaseEnv) restoreAll(ctx context.Context) error {
	var errs []error
	for _, p := range env.active() {
		env.logf("restoring %s", p.Name)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreWithin)
		if err := p.Restore(rctx, env); err != nil {
			errs = append(errs, fmt.Errorf("restoring %s: %w", p.Name, err))
		}
		env.restored(p)
		cancel()
	}
	return errors.Join(errs...)
}

// startMailCollector polls the SES emulator for the run's emails (tagged
// tag) until stop is called.
func startMailCollector(ctx context.Context, sesURL, tag string) (mail *mailCollector, stop func()) {
	mail = newMailCollector(sesURL, tag)
	mailCtx, stopMail := context.WithCancel(ctx)
	var mailDone sync.WaitGroup
	mailDone.Add(1)
	go func() { defer mailDone.Done(); mail.Run(mailCtx, 2*time.Second) }()
	return mail, func() { stopMail(); mailDone.Wait() }
}

// newHTTPClient keeps idle connections for less than HAProxy keeps them
// (timeout http-keep-alive, 10 s in ops/haproxy), so it does not send a
// request on one that HAProxy is closing.
func newHTTPClient(concurrency int) *http.Client {
	t := &http.Transport{MaxIdleConns: concurrency * 2, MaxIdleConnsPerHost: concurrency, IdleConnTimeout: 5 * time.Second,
		DisableCompression: true, ResponseHeaderTimeout: 20 * time.Second}
	return &http.Client{Transport: t, Timeout: 25 * time.Second}
}
