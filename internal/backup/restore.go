package backup

import (
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
)

func openSQL(dsn string) (*sql.DB, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	c, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(4)
	return db, nil
}

// TimeLayout is how a restore's target second is written.
const TimeLayout = "2006-01-02 15:04:05"

// RestoreOptions say what to restore and where.
type RestoreOptions struct {
	// To is the last second to restore, in UTC: every transaction
	// committed in it or before is kept, none after. Zero: everything
	// shipped (--latest).
	To time.Time
	// Source picks the server whose backups to restore (host:port); empty:
	// the source of the newest full backup.
	Source string
	// DataDir must not exist or be empty: the restore never overwrites a
	// live server's files.
	DataDir string
	// Port is where the restored server listens, on 127.0.0.1.
	Port int
	// Database is the schema of admit inside the server, for the check.
	Database string
	// User and Password log in to the restored server (the backup's own
	// accounts).
	User, Password string
	// Check runs the ledger check on the restored database (mysql.DB's
	// CheckLedger); nil skips it.
	Check func(ctx context.Context, dsn string) (admit.LedgerReport, error)
}

// RestoreReport is what a restore did and found.
type RestoreReport struct {
	Full          Manifest
	Binlogs       []string
	To            time.Time // zero: latest
	DSN           string
	PID           int
	Ledger        admit.LedgerReport
	Download      time.Duration // fetch and unpack the full backup
	Prepare       time.Duration
	Replay        time.Duration
	Check         time.Duration
	Total         time.Duration
	ServerLogPath string
}

// Restore restores the backups into a fresh data directory, starts a
// MariaDB server on it (left running: its pid is in the report), replays
// the binary log to the target second and checks the ledger. A ledger with
// problems is an error: nobody should be let in to it.
func (b *Backer) Restore(ctx context.Context, o RestoreOptions) (rep *RestoreReport, err error) {
	start := time.Now()
	rep = &RestoreReport{To: o.To}
	c, err := b.List(ctx)
	if err != nil {
		return nil, err
	}
	var full *Manifest
	for i := range c.Fulls {
		m := c.Fulls[i]
		if o.Source != "" && m.Source != o.Source {
			continue
		}
		if o.To.IsZero() || !m.FinishedAt.After(o.To) {
			full = &m
		}
	}
	if full == nil {
		return nil, fmt.Errorf("no full backup finished before %s: nothing to restore from", describeTarget(o.To))
	}
	rep.Full = *full
	// A server already answering there would take the replay instead of
	// the restored one.
	if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", o.Port), time.Second); err == nil {
		conn.Close()
		return nil, fmt.Errorf("port %d is in use: the restored server needs a free one (-port)", o.Port)
	}
	if entries, err := os.ReadDir(o.DataDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: a restore goes into a fresh data directory", o.DataDir)
	}
	if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
		return nil, err
	}

	// 1. The full backup: S3 -> gunzip -> mbstream -x.
	t := time.Now()
	if err := b.unpack(ctx, full.Key, o.DataDir); err != nil {
		return nil, err
	}
	rep.Download = time.Since(t)
	t = time.Now()
	if out, err := exec.CommandContext(ctx, "mariadb-backup", "--no-defaults", "--prepare", "--target-dir="+o.DataDir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-backup --prepare: %v: %s", err, lastLines(string(out), 5))
	}
	rep.Prepare = time.Since(t)

	// 2. A server on it, on loopback, for the replay and the check only.
	rep.PID, rep.ServerLogPath, err = startServer(ctx, o.DataDir, o.Port)
	if err != nil {
		return rep, err
	}
	srv := server{host: "127.0.0.1", port: fmt.Sprint(o.Port), user: o.User, password: o.Password, db: o.Database}
	rep.DSN = fmt.Sprintf("%s:%s@tcp(%s)/%s", o.User, o.Password, srv.addr(), o.Database)
	if err := waitServer(ctx, rep.DSN, 60*time.Second); err != nil {
		return rep, fmt.Errorf("the restored server did not start: %v (see %s)", err, rep.ServerLogPath)
	}

	// 3. The binary log from the backup's position to the target second.
	t = time.Now()
	if err := b.replay(ctx, c, full, o.To, srv, rep); err != nil {
		return rep, err
	}
	rep.Replay = time.Since(t)

	// 4. The ledger, before anyone is let in.
	if o.Check != nil {
		t = time.Now()
		rep.Ledger, err = o.Check(ctx, rep.DSN)
		rep.Check = time.Since(t)
		if err != nil {
			return rep, fmt.Errorf("checking the restored ledger: %w", err)
		}
	}
	rep.Total = time.Since(start)
	if len(rep.Ledger.Problems) > 0 {
		return rep, fmt.Errorf("the restored ledger is inconsistent: %s", strings.Join(rep.Ledger.Problems, "; "))
	}
	return rep, nil
}

func describeTarget(to time.Time) string {
	if to.IsZero() {
		return "now"
	}
	return to.Format(TimeLayout)
}

func (b *Backer) unpack(ctx context.Context, key, dir string) error {
	r, err := b.Store.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("backup %s: %w", key, err)
	}
	cmd := exec.CommandContext(ctx, "mbstream", "-x", "-C", dir)
	cmd.Stdin = zr
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mbstream -x: %v: %s", err, lastLines(string(out), 5))
	}
	return nil
}

// replay pipes the binary log files from the full backup's position into
// the restored server, stopping before the first event after the target
// second, and then makes the server durable again.
func (b *Backer) replay(ctx context.Context, c *Catalog, full *Manifest, to time.Time, srv server, rep *RestoreReport) error {
	if err := b.pipeBinlogs(ctx, c, full, to, srv, rep); err != nil {
		return err
	}
	return makeDurable(ctx, rep.DSN)
}

func (b *Backer) pipeBinlogs(ctx context.Context, c *Catalog, full *Manifest, to time.Time, srv server, rep *RestoreReport) error {
	work, err := os.MkdirTemp("", "admit-restore-binlog-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var files []string
	for _, o := range c.Binlogs[strings.ReplaceAll(full.Source, ":", "_")] {
		name := path.Base(o.Key)
		if name < full.BinlogFile {
			continue
		}
		dst := filepath.Join(work, name)
		if err := b.download(ctx, o.Key, dst); err != nil {
			return err
		}
		files = append(files, dst)
		rep.Binlogs = append(rep.Binlogs, name)
	}
	if len(files) == 0 {
		return nil
	}
	args := []string{"--no-defaults", fmt.Sprintf("--start-position=%d", full.BinlogPos)}
	if !to.IsZero() {
		// mariadb-binlog stops at the first event at or after this time:
		// the second after the target, so the target second is kept whole.
		args = append(args, "--stop-datetime="+to.Add(time.Second).UTC().Format(TimeLayout))
	}
	args = append(args, files...)
	dump := exec.CommandContext(ctx, "mariadb-binlog", args...)
	dump.Env = append(os.Environ(), "TZ=UTC") // --stop-datetime is read in local time
	apply := exec.CommandContext(ctx, "mariadb", append(srv.clientArgs(), "--binary-mode")...)
	pipe, err := dump.StdoutPipe()
	if err != nil {
		return err
	}
	var dumpErr, applyErr strings.Builder
	dump.Stderr = &dumpErr
	apply.Stdin = pipe
	apply.Stderr = &applyErr
	if err := dump.Start(); err != nil {
		return fmt.Errorf("mariadb-binlog: %w", err)
	}
	if err := apply.Run(); err != nil {
		_ = dump.Wait()
		return fmt.Errorf("replaying the binary log: %v: %s", err, lastLines(applyErr.String(), 5))
	}
	if err := dump.Wait(); err != nil {
		return fmt.Errorf("mariadb-binlog: %v: %s", err, lastLines(dumpErr.String(), 5))
	}
	return nil
}

func (b *Backer) download(ctx context.Context, key, dst string) error {
	r, err := b.Store.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startServer starts mariadbd on the restored directory, detached so that
// it outlives this command, on loopback only and without a binary log of
// its own (the replay is not to be shipped as new history). It starts
// without an fsync per commit: the replay is thousands of small
// transactions, and a crash during it means restoring again anyway (the
// replay takes less than half the time). makeDurable ends that before
// anyone is let in.
func startServer(ctx context.Context, dir string, port int) (pid int, logPath string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, "", err
	}
	logPath = filepath.Join(abs, "restore-server.log")
	name := "mariadbd"
	if p, err := exec.LookPath(name); err == nil {
		name = p
	} else if _, err := os.Stat("/usr/sbin/mariadbd"); err == nil {
		name = "/usr/sbin/mariadbd"
	}
	u, _ := user.Current()
	userName := "mysql"
	if u != nil {
		userName = u.Username
	}
	sock := filepath.Join(os.TempDir(), fmt.Sprintf("admit-restore-%d.sock", port))
	args := []string{"--no-defaults", "--datadir=" + abs, "--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--socket=" + sock, "--pid-file=" + filepath.Join(abs, "mariadbd.pid"), "--log-error=" + logPath,
		"--skip-log-bin", "--skip-name-resolve", "--default-time-zone=+00:00", "--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci", "--innodb-buffer-pool-size=128M", "--innodb-flush-log-at-trx-commit=2", "--user=" + userName}
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, logPath, fmt.Errorf("starting mariadbd: %w", err)
	}
	pid = cmd.Process.Pid
	go func() { _ = cmd.Wait() }() // reap it if it exits while we run
	return pid, logPath, nil
}

// makeDurable makes every commit of the restored server durable again, as
// before anyone is let in: from here on a commit's fsync also covers the
// replayed transactions before it.
func makeDurable(ctx context.Context, dsn string) error {
	db, err := openSQL(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `SET GLOBAL innodb_flush_log_at_trx_commit = 1`); err != nil {
		return fmt.Errorf("making the restored server durable again: %w", err)
	}
	return nil
}

func waitServer(ctx context.Context, dsn string, limit time.Duration) error {
	db, err := openSQL(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(limit)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// StopServer stops a server Restore started, by its pid.
func StopServer(pid int, limit time.Duration) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	_ = p.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if err := p.Signal(syscall.Signal(0)); err != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p.Signal(syscall.SIGKILL)
}
