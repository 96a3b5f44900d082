// Package backup takes MariaDB backups to S3 and restores them to a second:
// a full physical copy with mariadb-backup, streamed and gzip-compressed to
// the bucket, and the binary log shipped after it, at most a minute late.
// A restore unpacks the last full copy before the target into a fresh data
// directory, starts a server on it, replays the binary log up to the target
// second, and checks the ledger before anyone is let in.
//
// S3 holds a manifest beside each full copy, so a restore needs nothing
// from the database it is replacing.
package backup

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/s3"
)

// Prefix is where backups live in the bucket (exports have their own).
const Prefix = "backups/"

// Recorder keeps the list of stored backups that the Operations page and
// /metrics read (mysql.DB).
type Recorder interface {
	RecordBackup(ctx context.Context, b admit.Backup) error
	ForgetBackups(ctx context.Context, keys []string) error
}

// Backer backs up one MariaDB server. It must run on the server's host:
// mariadb-backup copies the data files, and binary logs are read where the
// server writes them.
type Backer struct {
	Store  *s3.Store
	Prefix string // in the bucket; empty: Prefix
	// DSN reaches the server to copy (go-sql-driver format); the user
	// needs RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR and REPLICATION
	// SLAVE or simply ALL.
	DSN      string
	Recorder Recorder // nil: nothing recorded
	Logger   *slog.Logger
	// Now is the clock used for object names (tests may fix it).
	Now func() time.Time
}

// Manifest is the JSON stored beside a full backup: what a restore needs to
// continue from it with the binary log.
type Manifest struct {
	Key        string    `json:"key"` // the compressed mbstream
	Size       int64     `json:"size"`
	Source     string    `json:"source"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	BinlogFile string    `json:"binlog_file"`
	BinlogPos  uint64    `json:"binlog_pos"`
	GTID       string    `json:"gtid,omitempty"`
}

func (b *Backer) prefix() string {
	if b.Prefix == "" {
		return Prefix
	}
	return b.Prefix
}

func (b *Backer) now() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

func (b *Backer) logger() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return b.Logger
}

// server is how to reach a MariaDB server with its command-line tools.
type server struct {
	host, port, user, password, db string
}

func parseServer(dsn string) (server, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return server{}, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host, port = cfg.Addr, "3306"
	}
	return server{host: host, port: port, user: cfg.User, password: cfg.Passwd, db: cfg.DBName}, nil
}

func (s server) addr() string { return net.JoinHostPort(s.host, s.port) }

// clientArgs are the connection options of mariadb, mariadb-backup and
// mariadb-binlog. --no-defaults keeps a stray ~/.my.cnf out of it.
func (s server) clientArgs() []string {
	return []string{"--no-defaults", "--protocol=tcp", "--host=" + s.host, "--port=" + s.port, "--user=" + s.user, "--password=" + s.password}
}

// Full takes a full physical backup and stores it with its manifest.
func (b *Backer) Full(ctx context.Context) (*Manifest, error) {
	srv, err := parseServer(b.DSN)
	if err != nil {
		return nil, err
	}
	db, err := openSQL(b.DSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var datadir string
	if err := db.QueryRowContext(ctx, `SELECT @@datadir`).Scan(&datadir); err != nil {
		return nil, fmt.Errorf("reading the server's data directory: %w", err)
	}
	work, err := os.MkdirTemp("", "admit-backup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	m := &Manifest{Source: srv.addr(), StartedAt: b.now()}
	name := m.StartedAt.Format("20060102T150405.000Z")
	m.Key = b.prefix() + "full/" + name + ".mbstream.gz"
	args := append(srv.clientArgs()[1:], "--backup", "--stream=mbstream", "--datadir="+datadir,
		"--target-dir="+filepath.Join(work, "target"), "--extra-lsndir="+filepath.Join(work, "lsn"))
	cmd := exec.CommandContext(ctx, "mariadb-backup", append([]string{"--no-defaults"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mariadb-backup: %w (install Debian's mariadb-backup)", err)
	}
	// mariadb-backup -> gzip -> S3, one part in memory at a time.
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		_, err := io.Copy(zw, bufio.NewReaderSize(out, 1<<20))
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	size, upErr := b.Store.Upload(ctx, m.Key, pr)
	pr.CloseWithError(errors.New("upload ended"))
	waitErr := cmd.Wait()
	if waitErr != nil {
		_ = b.Store.Delete(context.WithoutCancel(ctx), m.Key)
		return nil, fmt.Errorf("mariadb-backup: %v: %s", waitErr, lastLines(stderr.String(), 5))
	}
	if upErr != nil {
		return nil, upErr
	}
	m.Size = size
	m.FinishedAt = b.now()
	if err := readBinlogPosition(filepath.Join(work, "lsn"), m); err != nil {
		_ = b.Store.Delete(context.WithoutCancel(ctx), m.Key)
		return nil, err
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := b.Store.Put(ctx, manifestKey(m.Key), bytes.NewReader(data), int64(len(data))); err != nil {
		return nil, err
	}
	if b.Recorder != nil {
		if err := b.Recorder.RecordBackup(ctx, admit.Backup{Kind: admit.BackupFull, Key: m.Key, Size: m.Size, Source: m.Source,
			BinlogFile: m.BinlogFile, BinlogPos: m.BinlogPos, StartedAt: m.StartedAt, FinishedAt: m.FinishedAt}); err != nil {
			return m, err
		}
	}
	b.logger().Info("full backup stored", "key", m.Key, "bytes", m.Size, "took", m.FinishedAt.Sub(m.StartedAt).Round(time.Millisecond),
		"binlog", m.BinlogFile, "pos", m.BinlogPos)
	return m, nil
}

func manifestKey(objectKey string) string {
	return strings.TrimSuffix(objectKey, ".mbstream.gz") + ".json"
}

// binlogInfo matches xtrabackup_info's line
// binlog_pos = filename 'mysql-bin.000003', position '1234', GTID of the last change '0-1-5'
var binlogInfo = regexp.MustCompile(`filename '([^']+)', position '(\d+)'(?:, GTID of the last change '([^']*)')?`)

// readBinlogPosition reads where in the binary log the copy is consistent,
// from the files mariadb-backup wrote to --extra-lsndir.
func readBinlogPosition(dir string, m *Manifest) error {
	data, err := os.ReadFile(filepath.Join(dir, "xtrabackup_info"))
	if err != nil {
		return fmt.Errorf("mariadb-backup wrote no xtrabackup_info: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "binlog_pos") {
			continue
		}
		if g := binlogInfo.FindStringSubmatch(line); g != nil {
			m.BinlogFile = g[1]
			m.BinlogPos, _ = strconv.ParseUint(g[2], 10, 64)
			m.GTID = g[3]
			return nil
		}
	}
	return errors.New("the backup has no binary log position: is log-bin enabled on the server? Point-in-time recovery needs it")
}

// binlogKey is where a binary log file of a source is stored. Files are
// per source: each server numbers its own.
func (b *Backer) binlogKey(source, file string) string {
	return b.prefix() + "binlog/" + strings.ReplaceAll(source, ":", "_") + "/" + file
}

// ShipBinlogs closes the server's current binary log (so nothing written
// before now waits for the file to fill) and uploads every closed file not
// yet in the bucket. Run every minute, it bounds the data a restore can
// lose to about a minute.
func (b *Backer) ShipBinlogs(ctx context.Context) (shipped []string, err error) {
	srv, err := parseServer(b.DSN)
	if err != nil {
		return nil, err
	}
	db, err := openSQL(b.DSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var base string
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(@@log_bin_basename, '')`).Scan(&base); err != nil {
		return nil, err
	}
	if base == "" {
		return nil, errors.New("the server keeps no binary log (log-bin is off): point-in-time recovery needs it")
	}
	if _, err := db.ExecContext(ctx, `FLUSH BINARY LOGS`); err != nil {
		return nil, fmt.Errorf("closing the current binary log: %w", err)
	}
	files, err := binaryLogs(ctx, db)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, nil
	}
	files = files[:len(files)-1] // the last one is still being written
	stored, err := b.Store.List(ctx, b.binlogKey(srv.addr(), ""))
	if err != nil {
		return nil, err
	}
	have := map[string]int64{}
	for _, o := range stored {
		have[path.Base(o.Key)] = o.Size
	}
	dir := filepath.Dir(base)
	for _, name := range files {
		if size, ok := have[name]; ok {
			if err := sameHistory(dir, name, size); err != nil {
				return shipped, err
			}
			continue
		}
		started := b.now()
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return shipped, fmt.Errorf("reading binary log %s (admit backup must run on the database's host): %w", name, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return shipped, err
		}
		key := b.binlogKey(srv.addr(), name)
		err = b.Store.Put(ctx, key, f, fi.Size())
		f.Close()
		if err != nil {
			return shipped, err
		}
		if b.Recorder != nil {
			if err := b.Recorder.RecordBackup(ctx, admit.Backup{Kind: admit.BackupBinlog, Key: key, Size: fi.Size(), Source: srv.addr(),
				BinlogFile: name, StartedAt: started, FinishedAt: b.now()}); err != nil {
				return shipped, err
			}
		}
		shipped = append(shipped, name)
	}
	if len(shipped) > 0 {
		b.logger().Info("binary logs shipped", "files", shipped)
	}
	return shipped, nil
}

// sameHistory checks that a binary log file already in the bucket is the
// server's file of that name. A server whose data directory was replaced
// (a rollback to a restored copy, a node rebuilt) numbers its binary log
// from 1 again: its new files would be taken for shipped, and a restore
// would replay the old history's files after the new full backup.
func sameHistory(dir, name string, shippedSize int64) error {
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil || fi.Size() == shippedSize {
		return nil // a file purged since is history either way
	}
	return fmt.Errorf("binary log %s is not the one shipped before (%d bytes here, %d in the bucket): the server's binary log "+
		"started again (a restored or new data directory). Move its numbering past the last file shipped, then take a full backup: "+
		"RESET MASTER TO N, or on a Galera node, which refuses that, FLUSH BINARY LOGS until then and PURGE BINARY LOGS TO the first new file",
		name, fi.Size(), shippedSize)
}

// binaryLogs names the server's binary log files, oldest first.
func binaryLogs(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SHOW BINARY LOGS`)
	if err != nil {
		return nil, err
	}
	var files []string
	for rows.Next() {
		var name string
		var size any
		cols, _ := rows.Columns()
		dest := []any{&name, &size}
		for len(dest) < len(cols) {
			dest = append(dest, new(any))
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, err
		}
		files = append(files, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return files, nil
}

// Catalog is what the bucket holds: full backups, oldest first, and the
// binary log files of each source, in order.
type Catalog struct {
	Fulls   []Manifest
	Binlogs map[string][]s3.Object // by source (host_port)
}

// List reads the catalog from the bucket.
func (b *Backer) List(ctx context.Context) (*Catalog, error) {
	c := &Catalog{Binlogs: map[string][]s3.Object{}}
	objs, err := b.Store.List(ctx, b.prefix())
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, b.prefix())
		switch {
		case strings.HasPrefix(rest, "full/") && strings.HasSuffix(rest, ".json"):
			r, err := b.Store.Open(ctx, o.Key)
			if err != nil {
				return nil, err
			}
			var m Manifest
			err = json.NewDecoder(r).Decode(&m)
			r.Close()
			if err != nil {
				return nil, fmt.Errorf("manifest %s: %w", o.Key, err)
			}
			c.Fulls = append(c.Fulls, m)
		case strings.HasPrefix(rest, "binlog/"):
			parts := strings.SplitN(strings.TrimPrefix(rest, "binlog/"), "/", 2)
			if len(parts) == 2 {
				c.Binlogs[parts[0]] = append(c.Binlogs[parts[0]], o)
			}
		}
	}
	sort.Slice(c.Fulls, func(i, j int) bool { return c.Fulls[i].FinishedAt.Before(c.Fulls[j].FinishedAt) })
	return c, nil
}

// Prune deletes what a restore within keep of now no longer needs: full
// backups older than keep, except the newest of them (the window's start
// must stay restorable), and the binary logs before that one's.
func (b *Backer) Prune(ctx context.Context, keep time.Duration) (deleted []string, err error) {
	c, err := b.List(ctx)
	if err != nil {
		return nil, err
	}
	cutoff := b.now().Add(-keep)
	base := -1 // the newest full backup finished before the cutoff
	for i, m := range c.Fulls {
		if m.FinishedAt.Before(cutoff) {
			base = i
		}
	}
	if base <= 0 {
		return nil, nil
	}
	for _, m := range c.Fulls[:base] {
		deleted = append(deleted, m.Key, manifestKey(m.Key))
	}
	kept := c.Fulls[base]
	for _, o := range c.Binlogs[strings.ReplaceAll(kept.Source, ":", "_")] {
		if path.Base(o.Key) < kept.BinlogFile {
			deleted = append(deleted, o.Key)
		}
	}
	if err := b.Store.Delete(ctx, deleted...); err != nil {
		return nil, err
	}
	if b.Recorder != nil {
		if err := b.Recorder.ForgetBackups(ctx, deleted); err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// RunOptions say how often Run does each thing.
type RunOptions struct {
	FullEvery   time.Duration // a full backup when the last is older (default 24 h)
	BinlogEvery time.Duration // ship the binary log this often (default 1 min)
	Keep        time.Duration // retention (default 7 days)
}

// Run backs up until ctx ends: a full backup at start if none is recent,
// then the binary log every BinlogEvery, a new full backup every FullEvery,
// and pruning after each full backup. A failure is logged and retried at
// the next tick; /metrics shows the age of the last good backup.
func (b *Backer) Run(ctx context.Context, o RunOptions) error {
	if o.FullEvery <= 0 {
		o.FullEvery = 24 * time.Hour
	}
	if o.BinlogEvery <= 0 {
		o.BinlogEvery = time.Minute
	}
	if o.Keep <= 0 {
		o.Keep = 7 * 24 * time.Hour
	}
	var lastFull time.Time
	if c, err := b.List(ctx); err == nil && len(c.Fulls) > 0 {
		lastFull = c.Fulls[len(c.Fulls)-1].FinishedAt
	}
	tick := time.NewTicker(o.BinlogEvery)
	defer tick.Stop()
	for {
		if b.now().Sub(lastFull) >= o.FullEvery {
			if m, err := b.Full(ctx); err != nil {
				b.logger().Error("full backup failed", "err", err)
			} else {
				lastFull = m.FinishedAt
				if _, err := b.Prune(ctx, o.Keep); err != nil {
					b.logger().Error("pruning backups failed", "err", err)
				}
			}
		}
		if _, err := b.ShipBinlogs(ctx); err != nil && ctx.Err() == nil {
			b.logger().Error("shipping binary logs failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
