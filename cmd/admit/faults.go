package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/faults"
)

const faultsSummary = `Kill each component of the paired stack in turn under a steady purchase load,
restore it, and prove the invariants at the end: no oversell, no lost paid
order, no double effect, every email and webhook delivered. Buyers go through
both HAProxy addresses and fail over between them. Exits non-zero if an
invariant broke.

  admit faults [flags]      (make faults runs it against scripts/ha)`

func runFaults(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("admit faults", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, faultsSummary+"\n\nFlags:")
		fs.PrintDefaults()
	}
	envOr := env.or
	urls := fs.String("urls", envOr("ADMIT_HA_URLS", "http://127.0.0.1:8080"), "comma-separated addresses buyers use, in order (the HAProxy pair) (ADMIT_HA_URLS)")
	galera := fs.String("galera", envOr("ADMIT_FAULTS_GALERA_DSNS", ""), "comma-separated DSNs of the Galera nodes themselves, whose conflict counters prove one writer (ADMIT_FAULTS_GALERA_DSNS; empty: not checked)")
	dsn := fs.String("mysql-dsn", envOr("ADMIT_FAULTS_MYSQL_DSN", envOr("ADMIT_HA_MYSQL_DSN", "admit:admit@tcp(127.0.0.1:13306)/admit")),
		"MySQL for the setup and the checks; best through both HAProxies, admit:admit@failover(lb1:port,lb2:port)/admit (ADMIT_FAULTS_MYSQL_DSN, else ADMIT_HA_MYSQL_DSN)")
	ses := fs.String("ses", envOr("ADMIT_HA_SES_URL", "http://127.0.0.1:18005"), "the SES emulator, whose /store lists sent mail (ADMIT_HA_SES_URL)")
	toxiproxy := fs.String("toxiproxy", envOr("ADMIT_HA_TOXIPROXY", ""), "toxiproxy API, for the latency and cut phases (ADMIT_HA_TOXIPROXY)")
	stripeSecret := fs.String("stripe-webhook-secret", envOr("ADMIT_HA_STRIPE_WEBHOOK_SECRET", ""), "the apps' Stripe webhook secret: some buyers then pay by card, the run playing Stripe (ADMIT_HA_STRIPE_WEBHOOK_SECRET); empty: paid orders are bank transfers marked paid through /api/v1")
	script := fs.String("ha", "scripts/ha", "the script that kills and restores components (`ha kill C`, `ha restore C`); empty: no kills")
	list := fs.String("faults", strings.Join(faults.DefaultPhases, ","), "faults to inject, in order, or none; one of: "+strings.Join(faults.PhaseNames(), ", "))
	fault := fs.Duration("fault", 30*time.Second, "how long each fault lasts")
	settle := fs.Duration("settle", 15*time.Second, "load after each restore, before the next fault")
	baseline := fs.Duration("baseline", 15*time.Second, "load without a fault before the first")
	rate := fs.Float64("rate", 12, "new buyers per second")
	concurrency := fs.Int("concurrency", 300, "buyers in flight at most")
	payWithin := fs.Duration("pay-within", 2*time.Minute, "how long a buyer waits to be told a pending order is paid")
	drain := fs.Duration("drain", 5*time.Minute, "how long to wait after the load for every email and webhook")
	receiver := fs.String("receiver", "127.0.0.1:0", "where the webhook receiver listens")
	quick := fs.Bool("quick", false, "a short run: 8 s faults, 6 s settles, 5 s baseline")
	jsonPath := fs.String("json", "", "write the report as JSON to this file")
	deploys := deployFlags(fs, envOr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		*fault, *settle, *baseline = 8*time.Second, 6*time.Second, 5*time.Second
	}
	phases, err := faults.Phases(config.SplitList(*list))
	if err != nil {
		return err
	}
	o := faults.Options{URLs: config.SplitList(*urls), MySQLDSN: *dsn, GaleraDSNs: config.SplitList(*galera), SESURL: *ses, Toxiproxy: *toxiproxy, StripeWebhookSecret: *stripeSecret,
		ReceiverAddr: *receiver, Phases: phases, Baseline: *baseline, Fault: *fault, Settle: *settle, Rate: *rate,
		Concurrency: *concurrency, PayWithin: *payWithin, Drain: *drain, Log: env.stderr}
	for i, u := range o.URLs {
		o.URLs[i] = strings.TrimRight(u, "/")
	}
	if *script != "" {
		o.Killer = faults.ScriptKiller{Script: *script}
		o.Deploys = deploys()
	}
	rep, runErr := faults.Run(ctx, o)
	if rep == nil {
		return runErr
	}
	rep.WriteTable(env.stdout)
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonPath, b, 0o644); err != nil {
			return err
		}
	}
	if broken := rep.Broken(); len(broken) > 0 {
		return errors.Join(runErr, fmt.Errorf("invariants broken: %s", strings.Join(broken, "; ")))
	}
	return runErr
}

// deployFlags adds the deploy phases' flags to fs; the function returned,
// called after fs.Parse, gives their releases and a deployer running the
// scripts beside -ha's (scripts/deploy, scripts/rollback).
func deployFlags(fs *flag.FlagSet, envOr func(name, def string) string) func() faults.Deploys {
	good := fs.String("release-good", envOr("ADMIT_DEPLOY_GOOD", ""), "for the deploy phase: an installed release that works (ADMIT_DEPLOY_GOOD; scripts/deploys builds it)")
	readyz := fs.String("release-broken-readyz", envOr("ADMIT_DEPLOY_BROKEN_READYZ", ""), "for canary-readyz: a release built with -tags admit_broken_readyz (ADMIT_DEPLOY_BROKEN_READYZ)")
	route := fs.String("release-broken-route", envOr("ADMIT_DEPLOY_BROKEN_ROUTE", ""), "for canary-5xx: a release built with -tags admit_broken_route (ADMIT_DEPLOY_BROKEN_ROUTE)")
	percent := fs.Int("canary", 20, "the canary's share of the traffic, in percent, in the canary phases")
	canaryWait := fs.Duration("canary-wait", 20*time.Second, "how long the canary phases watch the canary")
	readyWait := fs.Duration("ready-wait", 15*time.Second, "how long a deploy waits for a server to become ready before rolling back")
	script := fs.Lookup("ha")
	return func() faults.Deploys {
		return faults.Deploys{Good: *good, BrokenReadyz: *readyz, BrokenRoute: *route,
			Deployer: faults.ScriptDeployer{Dir: filepath.Dir(script.Value.String()), CanaryPercent: *percent, CanaryWait: *canaryWait, ReadyWait: *readyWait}}
	}
}
