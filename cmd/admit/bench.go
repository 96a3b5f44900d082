package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/admithq/admit/internal/bench"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/redis"
)

const benchSummary = `Benchmark an on-sale: buyers view the event page, hold and order, against a
running admit (-url), then the same buyers in-process against the same MySQL with
the strategies peers use (-strategies), and this machine's ceilings (-limits).
It checks the invariants from the database at the end. With -room the event's
waiting room is on and the HTTP buyers queue first, as browsers do.

  admit bench onsale [flags]

Benchmark the worker: paid orders are created in a database of the run's own,
then the worker (GOMAXPROCS=-procs) sends every confirmation, with its PDF
tickets, through SES; it prints confirmations/s, MySQL statements and worker
CPU per order.

  admit bench confirmations [flags]`

func runBench(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 && args[0] == "confirmations" {
		return runBenchConfirmations(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "onsale" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprintln(env.stdout, benchSummary)
			return flag.ErrHelp
		}
		return errors.New("usage: admit bench onsale|confirmations [flags] (see admit bench onsale -h)")
	}
	return runBenchOnsale(ctx, env, args[1:])
}

// onsaleFlags are admit bench onsale's flags, parsed and checked.
type onsaleFlags struct {
	url, profile, strategies, jsonPath, svgPath string
	buyers, capacity, concurrency, room         int
	ramp, roomPoll, emailTimeout                time.Duration
	rate                                        float64
	paid, limits                                bool
	baseURL                                     string   // the first of url's addresses, without its trailing slash
	baseURLs                                    []string // url's addresses, in order
	fault                                       benchFault
	galera                                      []string // DSNs of the Galera nodes, whose conflicts are counted
	appURLs, workerURLs                         []string // the /metrics endpoints to read
	names                                       []string // the runs, in order: http, then the strategies
	cfgArgs                                     []string // the connection flags, for config.Parse
}

// parseOnsaleFlags parses and checks admit bench onsale's flags.
func parseOnsaleFlags(env *environment, args []string) (*onsaleFlags, error) {
	f := &onsaleFlags{}
	fs := flag.NewFlagSet("admit bench onsale", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.StringVar(&f.url, "url", "", "base URL of a running admit or HAProxy for the HTTP run, or several comma-separated (both HAProxies), which buyers fail over between, retrying with the same Idempotency-Key (empty: skip it); it must run with ADMIT_HOLDS_PER_CLIENT=0")
	fs.StringVar(&f.fault.component, "fault", "", "HTTP run: kill this component of the paired stack during the burst (mysql-writer, app1, redis-primary, or any that `scripts/ha kill` takes)")
	fs.DurationVar(&f.fault.at, "fault-at", 5*time.Second, "with -fault: when to kill it, after the first buyer starts")
	fs.DurationVar(&f.fault.hold, "fault-for", 0, "with -fault: restore it this long after the kill, during the run (0: after the run's checks)")
	fs.StringVar(&f.fault.script, "ha", "scripts/ha", "with -fault: the script that kills and restores components")
	galera := fs.String("galera", "", "comma-separated DSNs of the Galera nodes themselves, whose certification failures and brute-force aborts the run reports (ADMIT_HA_MYSQL_DSN and ADMIT_HA_MYSQL2_DSN of scripts/ha env)")
	fs.IntVar(&f.buyers, "buyers", 5000, "buyers per strategy")
	fs.IntVar(&f.capacity, "tickets", 1000, "tickets on sale per strategy")
	fs.StringVar(&f.profile, "profile", "burst", "arrivals: burst (all at once), ramp, or steady")
	fs.DurationVar(&f.ramp, "ramp", 10*time.Second, "ramp: spread arrivals over this")
	fs.Float64Var(&f.rate, "rate", 500, "steady: buyers per second")
	fs.IntVar(&f.concurrency, "concurrency", 256, "buyers in flight at once")
	fs.StringVar(&f.strategies, "strategies", "admit,row,event-lock", "in-process strategies to compare on the same MySQL: admit, row, event-lock (empty: none)")
	fs.IntVar(&f.room, "room", 0, "HTTP run: turn the event's waiting room on, opening at the start, letting this many buyers through per minute; buyers queue as browsers do (0: off)")
	fs.DurationVar(&f.roomPoll, "room-poll", 0, "with -room: how often a queueing buyer asks again (0: as the queue page's Refresh header says)")
	fs.BoolVar(&f.paid, "paid", false, "order with offline payment instead of free tickets")
	fs.BoolVar(&f.limits, "limits", false, "measure this machine's ceilings in the same run")
	fs.StringVar(&f.jsonPath, "json", "", "write the report as JSON to this file")
	fs.StringVar(&f.svgPath, "svg", "", "write a plot of throughput and latency over time to this SVG file")
	appMetrics := fs.String("app-metrics", "http://127.0.0.1:9190/metrics", "comma-separated /metrics URLs (ADMIT_OPS_ADDR) of every app server behind -url, whose MySQL statements are the HTTP run's app share (empty: not measured)")
	workerMetrics := fs.String("worker-metrics", "http://127.0.0.1:9191/metrics", "comma-separated /metrics URLs of the workers (ADMIT_WORKER_OPS_ADDR), whose MySQL statements are the worker share (empty: not measured)")
	fs.DurationVar(&f.emailTimeout, "email-timeout", 2*time.Minute, "after each run, wait this long at most for its confirmation emails and other side effects to be done, so the figures include the worker's part (0: do not wait)")
	// Connection settings are the server's: its flags, passed on to the
	// configuration, or the same environment variables.
	connection := []string{"mysql-dsn", "redis-addr", "redis-sentinels", "redis-master", "redis-password", "redis-db", "redis-prefix", "memcached"}
	for _, name := range connection {
		fs.String(name, "", "see admit serve -h")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(fl *flag.Flag) {
		if slices.Contains(connection, fl.Name) {
			f.cfgArgs = append(f.cfgArgs, "-"+fl.Name, fl.Value.String())
		}
	})
	f.galera = config.SplitList(*galera)
	return f, f.check(*appMetrics, *workerMetrics)
}

// check refuses flags that do not go together, and resolves the URL lists
// and the runs.
func (f *onsaleFlags) check(appMetrics, workerMetrics string) error {
	if f.room < 0 {
		return errors.New("-room must be 0 (off) or a number of buyers per minute")
	}
	if f.room > 0 && f.url == "" {
		return errors.New("-room needs the HTTP run (-url)")
	}
	if f.emailTimeout < 0 {
		return errors.New("-email-timeout must be 0 (do not wait) or a positive duration")
	}
	if f.fault.component != "" && f.url == "" {
		return errors.New("-fault needs the HTTP run (-url)")
	}
	for _, u := range config.SplitList(f.url) {
		f.baseURLs = append(f.baseURLs, strings.TrimRight(u, "/"))
	}
	if len(f.baseURLs) > 0 {
		f.baseURL = f.baseURLs[0]
		f.appURLs = config.SplitList(appMetrics)
	}
	f.workerURLs = config.SplitList(workerMetrics)
	for _, u := range append(slices.Clone(f.appURLs), f.workerURLs...) {
		if p, err := neturl.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%q is not an http(s) URL of a /metrics endpoint", u)
		}
	}
	if f.url != "" {
		f.names = append(f.names, "http")
	}
	for _, s := range strings.Split(f.strategies, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if s != "admit" && s != "row" && s != "event-lock" {
				return fmt.Errorf("unknown strategy %q (admit, row, event-lock)", s)
			}
			f.names = append(f.names, s)
		}
	}
	return nil
}

// onsaleRun is what every run of one admit bench onsale shares.
type onsaleRun struct {
	flags   *onsaleFlags
	cfg     *config.Config
	d       *deps
	fixture *bench.Fixture
	gate    *redis.Inventory
	meter   *bench.Meter
	// locks serves the event-lock strategy's locks, watch the bench's own
	// bookkeeping, alone the baselines' unbatched checkouts.
	locks, watch, alone *mysql.DB
	prof                bench.Profile
}

func runBenchOnsale(ctx context.Context, env *environment, args []string) error {
	f, err := parseOnsaleFlags(env, args)
	if err != nil {
		return err
	}
	cfg, _, err := config.Parse("bench", benchSummary, f.cfgArgs, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	d, err := openDeps(ctx, cfg, cfg.RedisPrefix)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := checkSchema(ctx, d.db); err != nil {
		return err
	}
	r := &onsaleRun{flags: f, cfg: cfg, d: d, prof: bench.Profile{Kind: f.profile, Ramp: f.ramp, Rate: f.rate}}
	defer r.close()
	if err := r.setup(ctx); err != nil {
		return err
	}
	report := &bench.Report{Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
		Buyers: f.buyers, Capacity: f.capacity, Profile: f.profile, Targets: bench.DefaultTargets}
	for _, name := range f.names {
		fmt.Fprintf(env.stderr, "bench: running %s...\n", name)
		if err := r.run(ctx, env, name, report); err != nil {
			return err
		}
	}
	if f.limits {
		fmt.Fprintln(env.stderr, "bench: measuring this machine's limits...")
		l, err := bench.MeasureLimits(ctx, d.db.SQL(), d.redis, 3*time.Second)
		if err != nil {
			return err
		}
		report.Limits = &l
		if f.url != "" && f.room == 0 { // with the room on, the page sends visitors without a pass to the queue
			report.CachedPage = bench.HTTPRate(3*time.Second, 64, f.baseURL+"/e/"+r.fixture.Org.Slug+"/"+r.fixture.Event.Slug)
		}
	}
	return writeOnsaleReport(env, f, report)
}

// setup creates the event the runs sell, primes the gate's counters and
// opens the bench's own pools.
func (r *onsaleRun) setup(ctx context.Context) error {
	var err error
	if r.fixture, err = bench.Setup(ctx, r.d.db, r.flags.capacity, r.flags.names); err != nil {
		return err
	}
	r.gate = redis.NewInventory(r.d.redis, r.cfg.RedisPrefix)
	for _, t := range r.fixture.Types {
		// A counter left by an older database with the same id would
		// otherwise say sold out until the reconciler's next pass.
		if err := r.gate.Set(ctx, t.ID, t.Quantity); err != nil {
			return err
		}
	}
	if r.locks, err = mysql.Open(r.cfg.MySQLDSN); err != nil {
		return err
	}
	r.locks.SQL().SetMaxOpenConns(r.flags.concurrency + 8)
	// The bench's own bookkeeping (the server's counters, the outbox
	// polls) goes through a pool of its own, so that what it costs is
	// told apart from the checkout's.
	if r.watch, err = mysql.Open(r.cfg.MySQLDSN); err != nil {
		return err
	}
	r.watch.SQL().SetMaxOpenConns(2)
	// The baselines are checkouts as peers run them: each buyer's hold and
	// order in transactions of their own, never combined with others'.
	if r.alone, err = mysql.Open(r.cfg.MySQLDSN); err != nil {
		return err
	}
	r.alone.Unbatched()
	r.alone.SQL().SetMaxOpenConns(r.flags.concurrency + 8)
	r.meter = &bench.Meter{Status: r.watch, Pools: []*mysql.DB{r.d.db, r.locks, r.alone}, AppMetrics: r.flags.appURLs,
		WorkerMetrics: r.flags.workerURLs, Components: benchComponents(r.cfg, r.flags.baseURLs, r.flags.appURLs, r.flags.workerURLs)}
	return nil
}

func (r *onsaleRun) close() {
	for _, db := range []*mysql.DB{r.locks, r.watch, r.alone} {
		if db != nil {
			db.Close()
		}
	}
}

// run sells the event's tickets of one strategy (or over HTTP), waits for
// the side effects, and adds the result, its cost and the invariants'
// check to report.
func (r *onsaleRun) run(ctx context.Context, env *environment, name string, report *bench.Report) error {
	f, fixture := r.flags, r.fixture
	mark, markErr := bench.MarkOutbox(ctx, r.watch.SQL())
	before := r.meter.Read(ctx)
	var res *bench.Result
	var galera []mysql.GaleraNode
	if name == "http" {
		if len(f.galera) > 0 {
			galera = mysql.ReadGalera(ctx, f.galera)
		}
		var err error
		if res, err = r.runHTTP(ctx, env); err != nil {
			return err
		}
	} else {
		db := r.d.db
		if name != "admit" {
			db = r.alone
		}
		res = bench.RunLedger(ctx, bench.LedgerOptions{Strategy: name, DB: db, Gate: r.gate, Event: fixture.Event,
			TicketTypeID: fixture.Types[name].ID, Buyers: f.buyers, Concurrency: f.concurrency, Profile: r.prof, Locks: r.locks.SQL()})
	}
	emails, left := r.waitSideEffects(ctx, env, name, res, mark, markErr)
	cost := r.meter.Cost(before, r.meter.Read(ctx), res.Outcomes.Ordered, name != "http")
	cost.Emails, cost.OutboxLeft = emails, left
	res.Cost = &cost
	report.Results = append(report.Results, res)
	if galera != nil {
		res.Galera = mysql.GaleraDelta(galera, mysql.ReadGalera(ctx, f.galera))
	}
	sold, problems := bench.Check(ctx, r.d.db.SQL(), fixture.Types[name].ID, res.References)
	report.Checks = append(report.Checks, bench.Checked{Strategy: res.Strategy, Sold: sold, Problems: problems})
	if name == "http" {
		res.Fault = f.fault.finish(ctx, env) // restored after the checks, if it is still down
	}
	return nil
}

// runHTTP plays the buyers over HTTP, killing a component during the
// burst with -fault.
func (r *onsaleRun) runHTTP(ctx context.Context, env *environment) (*bench.Result, error) {
	f, fixture := r.flags, r.fixture
	if f.room > 0 {
		// Open as the buyers start: a meter running before would let the
		// first ones through without queueing.
		if _, err := bench.OpenRoom(ctx, r.d.db, r.d.redis, r.cfg.RedisPrefix, fixture, f.room); err != nil {
			return nil, err
		}
	}
	f.fault.start(ctx, env)
	res := bench.RunHTTP(ctx, bench.HTTPOptions{BaseURLs: f.baseURLs, Org: fixture.Org.Slug, Event: fixture.Event.Slug,
		TicketTypeID: fixture.Types["http"].ID, Buyers: f.buyers, Concurrency: f.concurrency, Profile: r.prof, Paid: f.paid,
		Room: f.room, Poll: f.roomPoll})
	f.fault.runEnded()
	return res, nil
}

// waitSideEffects waits (up to -email-timeout) for the outbox rows a run
// wrote after mark, and says how many are left (-1: not known).
func (r *onsaleRun) waitSideEffects(ctx context.Context, env *environment, name string, res *bench.Result, mark bench.OutboxMark, markErr error) (bench.EmailResult, int) {
	if markErr != nil {
		return bench.EmailResult{Note: markErr.Error()}, -1
	}
	f := r.flags
	expected := res.Outcomes.Ordered
	if name == "http" && f.paid {
		expected = 0 // offline-paid orders are confirmed once the payment is recorded
	}
	if f.emailTimeout > 0 {
		fmt.Fprintf(env.stderr, "bench: waiting for the side effects of %s (%d confirmation emails)...\n", name, expected)
	}
	emails, left := bench.WaitOutbox(ctx, r.watch.SQL(), r.fixture.Org.ID, mark, expected, f.emailTimeout)
	if name == "http" && f.paid {
		emails.Note = "none expected: offline-paid orders are confirmed once the payment is recorded"
	}
	return emails, left
}

// writeOnsaleReport prints the table, writes the JSON and SVG asked for,
// and fails the command if any run broke an invariant.
func writeOnsaleReport(env *environment, f *onsaleFlags, report *bench.Report) error {
	report.WriteTable(env.stdout)
	if f.jsonPath != "" {
		b, _ := json.MarshalIndent(report, "", "  ")
		if err := os.WriteFile(f.jsonPath, b, 0o644); err != nil {
			return err
		}
	}
	if f.svgPath != "" {
		out, err := os.Create(f.svgPath)
		if err != nil {
			return err
		}
		report.WriteSVG(out)
		if err := out.Close(); err != nil {
			return err
		}
	}
	for _, c := range report.Checks {
		if len(c.Problems) > 0 {
			return fmt.Errorf("invariants broken in the %s run", c.Strategy)
		}
	}
	return nil
}

// benchComponents names the processes whose CPU time the bench reads, with
// the addresses it knows they listen on.
func benchComponents(cfg *config.Config, baseURLs, appURLs, workerURLs []string) []bench.Component {
	hosts := func(urls ...string) []string {
		var out []string
		for _, u := range urls {
			p, err := neturl.Parse(u)
			if err != nil || p.Host == "" {
				continue
			}
			host := p.Host
			if p.Port() == "" {
				port := "80"
				if p.Scheme == "https" {
					port = "443"
				}
				host = net.JoinHostPort(p.Hostname(), port)
			}
			out = append(out, host)
		}
		return out
	}
	var mysqlAddrs, redisAddrs []string
	if dsn, err := mysql.NormalizeDSN(cfg.MySQLDSN); err == nil && dsn.Net == "tcp" {
		mysqlAddrs = []string{dsn.Addr}
	}
	if len(cfg.RedisSentinels) == 0 {
		redisAddrs = []string{cfg.RedisAddr}
	}
	return bench.Components(mysqlAddrs, hosts(appURLs...), hosts(workerURLs...), redisAddrs, hosts(baseURLs...))
}

// runBenchConfirmations runs admit bench confirmations: the worker's
// pipeline, as admit worker wires it, against a database and a queue of the
// run's own.
func runBenchConfirmations(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("admit bench confirmations", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	orders := fs.Int("orders", 2000, "paid orders whose confirmations the worker sends")
	tickets := fs.Int("tickets", 1, "tickets per order (one PDF page each)")
	procs := fs.Int("procs", 1, "GOMAXPROCS while the worker runs")
	queueDB := fs.Int("queue-db", 14, "Redis database of the run's queue, emptied at the start (nothing else uses 14)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up if the side effects are not all done by then")
	sesPid := fs.Int("ses-pid", 0, "process id of the SES emulator, to report its CPU time too (0: do not)")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the worker's run to this file (go tool pprof)")
	keep := fs.Bool("keep", false, "keep the run's database (its name is printed) instead of dropping it")
	// The worker's own settings are passed on to the configuration, or
	// taken from the same environment variables.
	passed := []string{"mysql-dsn", "redis-addr", "redis-password", "ses-endpoint", "ses-region", "ses-access-key", "ses-secret-key",
		"worker-concurrency", "retry-base", "mail-from"}
	for _, name := range passed {
		fs.String(name, "", "see admit worker -h")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *orders <= 0 || *tickets <= 0 || *procs <= 0 {
		return errors.New("-orders, -tickets and -procs must be positive")
	}
	if *queueDB < 0 || *queueDB > 15 {
		return errors.New("-queue-db must be a Redis database number (0 to 15)")
	}
	var cfgArgs []string
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(passed, f.Name) {
			cfgArgs = append(cfgArgs, "-"+f.Name, f.Value.String())
		}
	})
	cfg, _, err := config.Parse("worker", benchSummary, cfgArgs, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	cfg.RedisDB, cfg.RedisSentinels = *queueDB, nil
	logger := newLogger(cfg, env.stderr, "bench")
	db, name, drop, err := bench.ScratchDB(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	if !*keep {
		defer drop()
	}
	defer db.Close()
	queue := redis.NewClient(redisOptions(cfg))
	defer queue.Close()
	if err := queue.FlushDB(ctx).Err(); err != nil {
		return &dependencyError{component: "redis", addr: cfg.RedisAddr, err: err}
	}
	var profile io.Writer
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		profile = f
	}
	fmt.Fprintf(env.stderr, "bench: creating %d paid orders in database %s...\n", *orders, name)
	res, err := bench.RunConfirmations(ctx, bench.ConfirmationsOptions{DB: db, Orders: *orders, Tickets: *tickets, Procs: *procs,
		Timeout: *timeout, SESPid: *sesPid, Progress: env.stderr, CPUProfile: profile,
		Worker: func(ctx context.Context) error {
			co := checkout.New(checkout.Options{Ledger: db, BaseURL: cfg.BaseURL, Logger: logger})
			return serveWorker(ctx, cfg, db, co, logger, io.Discard)
		}})
	if err != nil {
		return err
	}
	res.WriteTable(env.stdout)
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		return os.WriteFile(*jsonPath, b, 0o644)
	}
	return nil
}
