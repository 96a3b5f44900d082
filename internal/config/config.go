// Package config reads admit's configuration once, from flags and the
// environment, with defaults that match the local stack started by
// scripts/stack. The resulting Config is passed explicitly; nothing here is
// package-level state.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of every subcommand.
type Config struct {
	Env                  string // development or production
	HTTPAddr             string
	BaseURL              string
	MySQLDSN             string
	RedisAddr            string
	RedisSentinels       []string
	RedisMaster          string
	RedisPassword        string
	RedisDB              int
	RedisPrefix          string
	Memcached            []string
	SESEndpoint          string
	SESRegion            string
	SESAccessKey         string
	SESSecretKey         string
	OutboxRedeliverAfter time.Duration
	RetryBase            time.Duration
	WorkerConcurrency    int
	WorkerOpsAddr        string // empty: the worker serves no /healthz, /readyz, /metrics
	OpsAddr              string // empty: admit serve serves no /metrics and no readiness details
	MailFrom             string
	SecretKey            string
	LogFormat            string // auto, json or text
	LogLevel             string
	HoldsPerClient       int
	BatchLanes           int
	TrustProxy           bool
	StripeSecretKey      string
	StripeWebhook        string
	StripeAPIBase        string
	OfflinePayment       string
	// PaymentReminderBefore is how long before an unpaid offline order
	// expires its buyer is reminded; zero: never.
	PaymentReminderBefore time.Duration
	ShutdownTimeout       time.Duration
	PageCacheTTL          time.Duration
	S3                    S3Config
	WebhookAllowPrivate   bool
	WebhookTimeout        time.Duration
	WaitingRoomAutoRate   int
	WaitingRoomAutoFor    time.Duration
	// Operators are the email addresses (lowercase) of the console users
	// who operate the installation rather than one organization: they see
	// and change the feature flags. Empty: nobody.
	Operators []string
}

// Production reports whether admit runs in production mode, where secrets
// must be set and cookies are Secure.
func (c *Config) Production() bool { return c.Env == "production" }

// developmentSecret is only accepted outside production; Validate refuses it
// in production.
const developmentSecret = "development-secret-not-for-production-use-0000"

// setting is one configuration value: its flag, its environment variable, its
// default and how it lands in Config.
type setting struct {
	flag, env, def, usage string
	secret                bool
	commands              []string // nil: every command that reads config
	set                   func(c *Config, v string) error
}

var allServing = []string{"serve", "worker", "migrate", "demo", "bench", "backup", "flags"}

// s3Commands read the S3 settings: exports are written by the worker and
// read by serve; backups are written by admit backup.
var s3Commands = []string{"serve", "worker", "backup"}

// S3Config is where exports and backups are stored (the fields of s3.Config).
type S3Config struct {
	Endpoint, Region, Bucket, AccessKey, SecretKey string
}

// settings is the table of every setting, one row each, in the order -h
// lists them; a table reads best whole.
//
// funclen:table
func settings() []setting {
	return []setting{
		{flag: "env", env: "ADMIT_ENV", def: "development", usage: "development or production (production requires a secret key and sets Secure cookies)",
			set: func(c *Config, v string) error {
				if v != "development" && v != "production" {
					return errors.New("must be development or production")
				}
				c.Env = v
				return nil
			}},
		{flag: "http-addr", env: "ADMIT_HTTP_ADDR", def: "127.0.0.1:8080", usage: "address the HTTP server listens on (port 0 picks a free port)", commands: []string{"serve"},
			set: func(c *Config, v string) error { c.HTTPAddr = v; return nil }},
		{flag: "base-url", env: "ADMIT_BASE_URL", def: "", usage: "public base URL used in links and emails (default: http:// + http-addr)",
			set: func(c *Config, v string) error {
				if v == "" {
					return nil
				}
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return errors.New("must be an absolute http(s) URL")
				}
				c.BaseURL = strings.TrimRight(v, "/")
				return nil
			}},
		{flag: "mysql-dsn", env: "ADMIT_MYSQL_DSN", def: "admit:admit@tcp(127.0.0.1:13306)/admit", usage: "MySQL/MariaDB data source name (go-sql-driver format)", commands: allServing,
			set: func(c *Config, v string) error { c.MySQLDSN = v; return nil }},
		{flag: "redis-addr", env: "ADMIT_REDIS_ADDR", def: "127.0.0.1:16379", usage: "Redis address (ignored when sentinels are set)", commands: allServing,
			set: func(c *Config, v string) error { c.RedisAddr = v; return nil }},
		{flag: "redis-sentinels", env: "ADMIT_REDIS_SENTINELS", def: "", usage: "comma-separated Redis Sentinel addresses; with redis-master enables failover", commands: allServing,
			set: func(c *Config, v string) error { c.RedisSentinels = SplitList(v); return nil }},
		{flag: "redis-master", env: "ADMIT_REDIS_MASTER", def: "admit", usage: "Redis Sentinel master name", commands: allServing,
			set: func(c *Config, v string) error { c.RedisMaster = v; return nil }},
		{flag: "redis-password", env: "ADMIT_REDIS_PASSWORD", def: "", usage: "Redis password", secret: true, commands: allServing,
			set: func(c *Config, v string) error { c.RedisPassword = v; return nil }},
		{flag: "redis-db", env: "ADMIT_REDIS_DB", def: "0", usage: "Redis database number", commands: allServing,
			set: func(c *Config, v string) (err error) { c.RedisDB, err = atoiRange(v, 0, 1000); return err }},
		{flag: "redis-prefix", env: "ADMIT_REDIS_PREFIX", def: "admit:", usage: "prefix of every Redis key admit writes (besides asynq's own)", commands: allServing,
			set: func(c *Config, v string) error { c.RedisPrefix = v; return nil }},
		{flag: "memcached", env: "ADMIT_MEMCACHED", def: "127.0.0.1:11311", usage: "comma-separated memcached servers", commands: allServing,
			set: func(c *Config, v string) error { c.Memcached = SplitList(v); return nil }},
		{flag: "ses-endpoint", env: "ADMIT_SES_ENDPOINT", def: "http://127.0.0.1:18005", usage: "SES API endpoint (empty: the AWS default for the region)", commands: []string{"worker"},
			set: func(c *Config, v string) error { c.SESEndpoint = v; return nil }},
		{flag: "ses-region", env: "ADMIT_SES_REGION", def: "us-east-1", usage: "SES region", commands: []string{"worker"},
			set: func(c *Config, v string) error { c.SESRegion = v; return nil }},
		{flag: "ses-access-key", env: "ADMIT_SES_ACCESS_KEY", def: "local", usage: "AWS access key for SES (empty: the AWS SDK's default credentials, such as an instance role)", commands: []string{"worker"},
			set: func(c *Config, v string) error { c.SESAccessKey = v; return nil }},
		{flag: "ses-secret-key", env: "ADMIT_SES_SECRET_KEY", def: "local", usage: "AWS secret key for SES", secret: true, commands: []string{"worker"},
			set: func(c *Config, v string) error { c.SESSecretKey = v; return nil }},
		{flag: "outbox-redeliver-after", env: "ADMIT_OUTBOX_REDELIVER_AFTER", def: "2m", usage: "hand a side effect to the queue again if it is not done this long after (covers tasks lost with Redis)", commands: []string{"worker"},
			set: func(c *Config, v string) (err error) { c.OutboxRedeliverAfter, err = positiveDuration(v); return err }},
		{flag: "retry-base", env: "ADMIT_RETRY_BASE", def: "5s", usage: "delay before a failed task's first retry; each retry doubles it (with jitter), up to an hour", commands: []string{"worker"},
			set: func(c *Config, v string) (err error) { c.RetryBase, err = positiveDuration(v); return err }},
		{flag: "worker-concurrency", env: "ADMIT_WORKER_CONCURRENCY", def: "20", usage: "tasks one worker runs at once, and side effects (emails, webhook fan-outs) it performs at once", commands: []string{"worker"},
			set: func(c *Config, v string) (err error) { c.WorkerConcurrency, err = atoiRange(v, 1, 1000); return err }},
		{flag: "ops-addr", env: "ADMIT_WORKER_OPS_ADDR", def: "", usage: "address the worker serves /healthz, /readyz and /metrics on (empty: none; every worker on a host needs its own; keep it off the public internet)", commands: []string{"worker"},
			set: func(c *Config, v string) (err error) { c.WorkerOpsAddr, err = opsAddr(v); return err }},
		{flag: "ops-addr", env: "ADMIT_OPS_ADDR", def: "", usage: "address the server answers operators on: /metrics, and /readyz naming what is down (empty: none; the public address keeps /healthz and a bare /readyz; keep it off the public internet)", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) { c.OpsAddr, err = opsAddr(v); return err }},
		{flag: "mail-from", env: "ADMIT_MAIL_FROM", def: "Admit <tickets@admit.localhost>", usage: "default sender of emails", commands: []string{"worker"},
			set: func(c *Config, v string) error { c.MailFrom = v; return nil }},
		{flag: "secret-key", env: "ADMIT_SECRET_KEY", def: "", usage: "secret for signing sessions, CSRF tokens and links (at least 32 characters; required in production)", secret: true, commands: []string{"serve", "worker"},
			set: func(c *Config, v string) error { c.SecretKey = v; return nil }},
		{flag: "log-format", env: "ADMIT_LOG_FORMAT", def: "auto", usage: "auto (text on a terminal, JSON otherwise), json or text",
			set: func(c *Config, v string) error {
				if v != "auto" && v != "json" && v != "text" {
					return errors.New("must be auto, json or text")
				}
				c.LogFormat = v
				return nil
			}},
		{flag: "log-level", env: "ADMIT_LOG_LEVEL", def: "info", usage: "debug, info, warn or error",
			set: func(c *Config, v string) error {
				switch v {
				case "debug", "info", "warn", "error":
					c.LogLevel = v
					return nil
				}
				return errors.New("must be debug, info, warn or error")
			}},
		{flag: "holds-per-client", env: "ADMIT_HOLDS_PER_CLIENT", def: "5", usage: "active holds one buyer (session or IP) may have per event; 0 disables the cap (load tests)", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) { c.HoldsPerClient, err = atoiRange(v, 0, 1_000_000); return err }},
		{flag: "batch-lanes", env: "ADMIT_BATCH_LANES", def: "2", usage: "hold batches of one event, and order batches, this server keeps in flight at once; with several app servers on one MySQL writer, fewer each keep the batches large (ops/README.md, Capacity)", commands: []string{"serve", "bench"},
			set: func(c *Config, v string) (err error) { c.BatchLanes, err = atoiRange(v, 1, 64); return err }},
		{flag: "trust-proxy", env: "ADMIT_TRUST_PROXY", def: "false", usage: "take the client address from X-Forwarded-For set by a proxy on a loopback or private address (true behind HAProxy)", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) { c.TrustProxy, err = strconv.ParseBool(v); return err }},
		{flag: "stripe-secret-key", env: "ADMIT_STRIPE_SECRET_KEY", def: "", usage: "Stripe secret key; empty disables card payments", secret: true, commands: []string{"serve", "worker"},
			set: func(c *Config, v string) error { c.StripeSecretKey = v; return nil }},
		{flag: "stripe-webhook-secret", env: "ADMIT_STRIPE_WEBHOOK_SECRET", def: "", usage: "secret (whsec_...) that signs Stripe's webhooks to /webhooks/stripe", secret: true, commands: []string{"serve"},
			set: func(c *Config, v string) error { c.StripeWebhook = v; return nil }},
		{flag: "stripe-api-base", env: "ADMIT_STRIPE_API_BASE", def: "", usage: "Stripe API base URL (empty: Stripe; http://127.0.0.1:12111 for the local stripe-mock)", commands: []string{"serve", "worker"},
			set: func(c *Config, v string) error { c.StripeAPIBase = v; return nil }},
		{flag: "offline-payment", env: "ADMIT_OFFLINE_PAYMENT", def: "Pay by bank transfer or at the door. Your tickets are issued once the organizer has received your payment.", usage: "instructions shown to buyers who choose offline payment; empty disables offline payment", commands: []string{"serve", "worker"},
			set: func(c *Config, v string) error { c.OfflinePayment = v; return nil }},
		{flag: "payment-reminder-before", env: "ADMIT_PAYMENT_REMINDER_BEFORE", def: "48h", usage: "how long before an unpaid offline order expires its buyer is reminded to pay, once (0: never)", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) {
				c.PaymentReminderBefore, err = nonNegativeDuration(v)
				return err
			}},
		{flag: "shutdown-timeout", env: "ADMIT_SHUTDOWN_TIMEOUT", def: "20s", usage: "how long in-flight requests and tasks may take to finish on shutdown", commands: []string{"serve", "worker"},
			set: func(c *Config, v string) (err error) { c.ShutdownTimeout, err = positiveDuration(v); return err }},
		{flag: "s3-endpoint", env: "ADMIT_S3_ENDPOINT", def: "http://127.0.0.1:18130", usage: "URL of an S3-compatible server for exports and backups (empty: AWS S3 itself)", commands: s3Commands,
			set: func(c *Config, v string) error {
				if v != "" {
					if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
						return errors.New("must be an absolute http(s) URL")
					}
				}
				c.S3.Endpoint = v
				return nil
			}},
		{flag: "s3-region", env: "ADMIT_S3_REGION", def: "us-east-1", usage: "S3 region", commands: s3Commands,
			set: func(c *Config, v string) error { c.S3.Region = v; return nil }},
		{flag: "s3-bucket", env: "ADMIT_S3_BUCKET", def: "admit", usage: "S3 bucket of export files (under exports/) and database backups (under backups/)", commands: s3Commands,
			set: func(c *Config, v string) error {
				if v == "" {
					return errors.New("must name a bucket")
				}
				c.S3.Bucket = v
				return nil
			}},
		{flag: "s3-access-key", env: "ADMIT_S3_ACCESS_KEY", def: "", usage: "S3 access key id (empty: the AWS SDK's defaults, such as an instance role)", secret: true, commands: s3Commands,
			set: func(c *Config, v string) error { c.S3.AccessKey = v; return nil }},
		{flag: "s3-secret-key", env: "ADMIT_S3_SECRET_KEY", def: "", usage: "S3 secret access key", secret: true, commands: s3Commands,
			set: func(c *Config, v string) error { c.S3.SecretKey = v; return nil }},
		{flag: "webhook-allow-private", env: "ADMIT_WEBHOOK_ALLOW_PRIVATE", def: "false", usage: "let webhook endpoints be loopback and private addresses (tests and local development only; refused in production)", commands: []string{"serve", "worker"},
			set: func(c *Config, v string) (err error) { c.WebhookAllowPrivate, err = strconv.ParseBool(v); return err }},
		{flag: "webhook-timeout", env: "ADMIT_WEBHOOK_TIMEOUT", def: "15s", usage: "how long one webhook delivery attempt may take, from connecting to the answer", commands: []string{"worker"},
			set: func(c *Config, v string) (err error) { c.WebhookTimeout, err = positiveDuration(v); return err }},
		{flag: "waiting-room-auto-rate", env: "ADMIT_WAITING_ROOM_AUTO_RATE", def: "1000", usage: "visitors without a pass arriving at one event's tickets in one second above which its waiting room engages on its own, letting this many through per second; 0 disables (load tests)", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) {
				c.WaitingRoomAutoRate, err = atoiRange(v, 0, 1_000_000)
				return err
			}},
		{flag: "waiting-room-auto-for", env: "ADMIT_WAITING_ROOM_AUTO_FOR", def: "5m", usage: "how long an automatically engaged waiting room stays on after the last second above the rate", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) { c.WaitingRoomAutoFor, err = positiveDuration(v); return err }},
		{flag: "operators", env: "ADMIT_OPERATORS", def: "", usage: "comma-separated email addresses of console users who operate this installation: they see and change the feature flags in the console (empty: nobody)", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) { c.Operators, err = emailList(v); return err }},
		{flag: "page-cache-ttl", env: "ADMIT_PAGE_CACHE_TTL", def: "5s", usage: "how long a rendered public event page is cached (availability may be this old)", commands: []string{"serve"},
			set: func(c *Config, v string) (err error) { c.PageCacheTTL, err = positiveDuration(v); return err }},
	}
}

func (s setting) appliesTo(cmd string) bool {
	if s.commands == nil {
		return true
	}
	for _, c := range s.commands {
		if c == cmd {
			return true
		}
	}
	return false
}

// Parse reads the settings of cmd from args and getenv (flags win over the
// environment, which wins over defaults), validates them and returns the
// Config with the remaining arguments. With -h it writes the usage to out and
// returns flag.ErrHelp.
func Parse(cmd, summary string, args []string, getenv func(string) string, out io.Writer) (*Config, []string, error) {
	fs := flag.NewFlagSet("admit "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := map[string]*string{}
	var applicable []setting
	for _, s := range settings() {
		if !s.appliesTo(cmd) {
			continue
		}
		applicable = append(applicable, s)
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		values[s.flag] = fs.String(s.flag, v, s.usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(out, "Usage: admit %s [flags]\n\n%s\n\n", cmd, summary)
			WriteSettings(out, cmd)
			return nil, nil, flag.ErrHelp
		}
		return nil, nil, fmt.Errorf("%v (see admit %s -h)", err, cmd)
	}
	c := &Config{}
	for _, s := range settings() {
		v := s.def
		// Two commands may give one flag name to different settings (each
		// command's -ops-addr); only the command's own takes the value.
		if p, ok := values[s.flag]; ok && s.appliesTo(cmd) {
			v = *p
		}
		if err := s.set(c, v); err != nil {
			return nil, nil, fmt.Errorf("invalid -%s / %s %q: %v", s.flag, s.env, displayValue(s, v), err)
		}
	}
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

func (c *Config) validate() error {
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.HTTPAddr
	}
	if c.SecretKey == "" {
		if c.Production() {
			return errors.New("ADMIT_SECRET_KEY must be set in production (at least 32 random characters)")
		}
		c.SecretKey = developmentSecret
	}
	if c.StripeSecretKey != "" && c.StripeWebhook == "" && c.Production() {
		return errors.New("ADMIT_STRIPE_WEBHOOK_SECRET must be set when Stripe is enabled")
	}
	if c.WebhookAllowPrivate && c.Production() {
		return errors.New("ADMIT_WEBHOOK_ALLOW_PRIVATE must not be set in production: it lets webhooks reach internal services")
	}
	if len(c.SecretKey) < 32 {
		return errors.New("ADMIT_SECRET_KEY must be at least 32 characters")
	}
	if c.Production() && c.SecretKey == developmentSecret {
		return errors.New("ADMIT_SECRET_KEY must not be the development secret in production")
	}
	return nil
}

// WriteSettings documents every flag and environment variable of cmd.
func WriteSettings(out io.Writer, cmd string) {
	fmt.Fprintf(out, "Flags (each also read from the environment variable named):\n")
	for _, s := range settings() {
		if !s.appliesTo(cmd) {
			continue
		}
		def := s.def
		if s.secret && def != "" {
			def = "(set)"
		}
		fmt.Fprintf(out, "  -%s, %s\n      %s", s.flag, s.env, s.usage)
		if def != "" {
			fmt.Fprintf(out, " (default %q)", def)
		}
		fmt.Fprintln(out)
	}
}

func displayValue(s setting, v string) string {
	if s.secret {
		return "(hidden)"
	}
	return v
}

// SplitList splits a comma-separated setting, dropping blanks.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func atoiRange(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("must be a positive duration such as 5s or 2m")
	}
	return d, nil
}

func nonNegativeDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("must be a duration such as 48h, or 0")
	}
	return d, nil
}

// emailList reads a comma-separated list of email addresses, lowercased
// as the console keeps its users' addresses.
func emailList(v string) ([]string, error) {
	list := SplitList(strings.ToLower(v))
	for _, e := range list {
		local, domain, ok := strings.Cut(e, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(e, " \t<>\"") || strings.Contains(domain, "@") {
			return nil, fmt.Errorf("%q is not an email address", e)
		}
	}
	return list, nil
}

// opsAddr checks an operators' listen address: empty (none) or host:port.
func opsAddr(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if _, _, err := net.SplitHostPort(v); err != nil {
		return "", errors.New("must be host:port, such as 127.0.0.1:9191")
	}
	return v, nil
}
