package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path"
	"strings"
	"text/tabwriter"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/mysql"
)

const backupSummary = `Back up the database to S3, and restore it to a second.

  admit backup run       back up until stopped: a full backup every day (-full-every),
                         the binary log every minute (-binlog-every), pruning past -keep
  admit backup full      take a full backup now (mariadb-backup, streamed and gzipped to S3)
  admit backup binlogs   ship the closed binary log files now
  admit backup prune     delete what a restore within -keep no longer needs
  admit backup list      list the full backups and binary logs in the bucket
  admit backup restore   -to "YYYY-MM-DD HH:MM:SS" | -latest, -datadir DIR, -port N:
                         restore into a fresh data directory, replay the binary log to
                         that second (UTC), check the ledger, and leave the server running

It runs on the database's host (mariadb-backup copies the data files); in the
paired stack, on the node that is not the writer (scripts/ha backup).`

func runBackup(ctx context.Context, env *environment, args []string) error {
	cfg, rest, err := config.Parse("backup", backupSummary, args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return errors.New("usage: admit backup [flags] run|full|binlogs|prune|list|restore [options]")
	}
	verb, rest := rest[0], rest[1:]
	fs := flag.NewFlagSet("admit backup "+verb, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fullEvery := fs.Duration("full-every", 24*time.Hour, "take a full backup when the last is this old")
	binlogEvery := fs.Duration("binlog-every", time.Minute, "ship the binary log this often (the recovery point)")
	keep := fs.Duration("keep", 7*24*time.Hour, "retention: any second within this window stays restorable")
	to := fs.String("to", "", `restore: the last second to keep, "YYYY-MM-DD HH:MM:SS" in UTC`)
	latest := fs.Bool("latest", false, "restore: everything shipped")
	datadir := fs.String("datadir", "", "restore: a fresh data directory for the restored server")
	port := fs.Int("port", 13316, "restore: the port the restored server listens on (127.0.0.1)")
	source := fs.String("source", "", "restore: the server (host:port) whose backups to restore; default that of the newest full backup")
	if err := fs.Parse(rest); err != nil {
		return err
	}

	st, err := openS3(ctx, cfg)
	if err != nil {
		return err
	}
	b := &backup.Backer{Store: st, DSN: cfg.MySQLDSN, Logger: newLogger(cfg, env.stderr, "backup")}
	if verb == "restore" {
		return runRestore(ctx, env, cfg, b, restoreRequest{to: *to, latest: *latest, datadir: *datadir, port: *port, source: *source})
	}
	if verb != "list" {
		db, err := openMySQL(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		b.Recorder = db
	}
	switch verb {
	case "run":
		return b.Run(ctx, backup.RunOptions{FullEvery: *fullEvery, BinlogEvery: *binlogEvery, Keep: *keep})
	case "full":
		m, err := b.Full(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "admit backup: full backup %s, %s in %v, at binary log %s:%d\n",
			m.Key, sizeString(m.Size), m.FinishedAt.Sub(m.StartedAt).Round(time.Millisecond), m.BinlogFile, m.BinlogPos)
	case "binlogs":
		shipped, err := b.ShipBinlogs(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "admit backup: %d binary log files shipped %s\n", len(shipped), strings.Join(shipped, " "))
	case "prune":
		deleted, err := b.Prune(ctx, *keep)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "admit backup: %d objects deleted\n", len(deleted))
	case "list":
		return printBackups(ctx, env.stdout, b)
	default:
		return fmt.Errorf("unknown backup command %q (run, full, binlogs, prune, list, restore)", verb)
	}
	return nil
}

// printBackups lists the full backups and shipped binary logs in S3.
func printBackups(ctx context.Context, out io.Writer, b *backup.Backer) error {
	c, err := b.List(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tFINISHED (UTC)\tSIZE\tSOURCE\tOBJECT")
	for _, m := range c.Fulls {
		fmt.Fprintf(w, "full\t%s\t%s\t%s\t%s (binlog %s:%d)\n", m.FinishedAt.Format(backup.TimeLayout), sizeString(m.Size), m.Source, m.Key, m.BinlogFile, m.BinlogPos)
	}
	for src, objs := range c.Binlogs {
		if len(objs) == 0 {
			continue
		}
		var size int64
		for _, o := range objs {
			size += o.Size
		}
		fmt.Fprintf(w, "binlog\t%s\t%s\t%s\t%d files, %s .. %s\n", objs[len(objs)-1].Modified.UTC().Format(backup.TimeLayout), sizeString(size), src,
			len(objs), path.Base(objs[0].Key), path.Base(objs[len(objs)-1].Key))
	}
	return w.Flush()
}

type restoreRequest struct {
	to      string
	latest  bool
	datadir string
	port    int
	source  string
}

func runRestore(ctx context.Context, env *environment, cfg *config.Config, b *backup.Backer, r restoreRequest) error {
	var target time.Time
	switch {
	case r.latest && r.to != "":
		return errors.New("restore: give -to or -latest, not both")
	case r.latest:
	case r.to != "":
		t, err := time.ParseInLocation(backup.TimeLayout, r.to, time.UTC)
		if err != nil {
			return fmt.Errorf(`restore: -to %q: want "YYYY-MM-DD HH:MM:SS" (UTC)`, r.to)
		}
		target = t
	default:
		return errors.New(`restore: give -to "YYYY-MM-DD HH:MM:SS" or -latest`)
	}
	if r.datadir == "" {
		return errors.New("restore: -datadir names the fresh data directory to restore into")
	}
	dsn, err := gomysql.ParseDSN(cfg.MySQLDSN)
	if err != nil {
		return err
	}
	rep, err := b.Restore(ctx, backup.RestoreOptions{To: target, Source: r.source, DataDir: r.datadir, Port: r.port,
		Database: dsn.DBName, User: dsn.User, Password: dsn.Passwd,
		Check: func(ctx context.Context, dsn string) (admit.LedgerReport, error) {
			db, err := mysql.Open(dsn)
			if err != nil {
				return admit.LedgerReport{}, err
			}
			defer db.Close()
			return db.CheckLedger(ctx)
		}})
	if rep != nil {
		w := env.stdout
		fmt.Fprintf(w, "restored   %s (%s, taken %s from %s)\n", rep.Full.Key, sizeString(rep.Full.Size), rep.Full.FinishedAt.Format(backup.TimeLayout), rep.Full.Source)
		fmt.Fprintf(w, "replayed   %d binary log files from %s:%d", len(rep.Binlogs), rep.Full.BinlogFile, rep.Full.BinlogPos)
		if target.IsZero() {
			fmt.Fprintf(w, " to the end (latest)\n")
		} else {
			fmt.Fprintf(w, " to %s UTC (inclusive)\n", target.Format(backup.TimeLayout))
		}
		l := rep.Ledger
		fmt.Fprintf(w, "ledger     %d organizations, %d orders (%d paid), %d tickets, %d ticket types; outbox %d done, %d to do\n",
			l.Organizations, l.Orders, l.PaidOrders, l.Tickets, l.TicketTypes, l.OutboxDone, l.OutboxPending)
		for _, p := range l.Problems {
			fmt.Fprintf(w, "PROBLEM    %s\n", p)
		}
		fmt.Fprintf(w, "took       %v (download and unpack %v, prepare %v, replay %v, ledger check %v)\n", rep.Total.Round(time.Millisecond),
			rep.Download.Round(time.Millisecond), rep.Prepare.Round(time.Millisecond), rep.Replay.Round(time.Millisecond), rep.Check.Round(time.Millisecond))
		if rep.PID > 0 {
			fmt.Fprintf(w, "server     pid %d, %s (log %s); stop it with: kill %d\n", rep.PID, rep.DSN, rep.ServerLogPath, rep.PID)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "ledger     consistent: point ADMIT_MYSQL_DSN at the restored server to let people in\n")
	return nil
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
