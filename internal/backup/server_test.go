package backup_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/admithq/admit/internal/backup"
)

// sourcePort is where the drill's own MariaDB listens: the stack's server
// keeps no binary log while it runs tests, and a drill must not touch it.
// ADMIT_TEST_BACKUP_PORT picks another.
func sourcePort() int {
	if p, err := strconv.Atoi(os.Getenv("ADMIT_TEST_BACKUP_PORT")); err == nil {
		return p
	}
	return 13317
}

// mustSourceServer starts a fresh MariaDB with a binary log, as production
// runs it, and returns a DSN for the admit user on database admit. The
// server is stopped (by its pid) when the test ends.
func mustSourceServer(tb testing.TB, port int) string {
	tb.Helper()
	dir := tb.TempDir()
	data := filepath.Join(dir, "data")
	u, err := user.Current()
	if err != nil {
		tb.Fatal(err)
	}
	sock := filepath.Join(os.TempDir(), fmt.Sprintf("admit-drill-%d.sock", port))
	cnf := filepath.Join(dir, "my.cnf")
	err = os.WriteFile(cnf, []byte(fmt.Sprintf(`[mysqld]
datadir = %s
socket = %s
pid-file = %s
log-error = %s
bind-address = 127.0.0.1
port = %d
skip-name-resolve
log-bin = mysql-bin
server-id = 7
binlog_format = ROW
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
default-time-zone = '+00:00'
max_connections = 300
innodb_buffer_pool_size = 128M
innodb_log_file_size = 64M
innodb_flush_log_at_trx_commit = 1
`, data, sock, filepath.Join(dir, "mysqld.pid"), filepath.Join(dir, "mysqld.log"), port)), 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command("mariadb-install-db", "--defaults-file="+cnf, "--datadir="+data,
		"--auth-root-authentication-method=socket", "--auth-root-socket-user="+u.Username, "--skip-test-db").CombinedOutput(); err != nil {
		tb.Fatalf("mariadb-install-db (Debian's mariadb-server): %v\n%s", err, out)
	}
	mariadbd := "/usr/sbin/mariadbd"
	if p, err := exec.LookPath("mariadbd"); err == nil {
		mariadbd = p
	}
	cmd := exec.Command(mariadbd, "--defaults-file="+cnf, "--user="+u.Username)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = backup.StopServer(cmd.Process.Pid, 20*time.Second)
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command("mariadb", "--no-defaults", "--socket="+sock, "-u"+u.Username, "-e", `
CREATE USER IF NOT EXISTS 'admit'@'127.0.0.1' IDENTIFIED BY 'admit';
GRANT ALL PRIVILEGES ON *.* TO 'admit'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS admit CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`).CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "mysqld.log"))
			tb.Fatalf("the drill's MariaDB on port %d did not start: %v %s\n%s", port, err, out, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Sprintf("admit:admit@tcp(127.0.0.1:%d)/admit", port)
}

func mustContext(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}
