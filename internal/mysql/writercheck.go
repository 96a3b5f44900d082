package mysql

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// WriterCheck decides whether the Galera node it is beside takes the
// cluster's writes: the answer HAProxy's check of that node gets, so that
// both HAProxies send every write to one node. ops/README.md ("One MySQL
// writer") gives the rules:
//
//   - the writer is the node admit_ha.writer names, a row Galera replicates
//     to every node, so every checker names the same one;
//   - it is the writer only while it is ready (wsrep_ready, in the Primary
//     component) and Synced, or Donor (a node that feeds a rejoining one by
//     IST serves meanwhile);
//   - another node takes the row over only once the named one has left the
//     membership every node of the Primary component agrees on
//     (mysql.wsrep_cluster_members), with a guarded UPDATE: a node outside
//     the Primary component cannot commit, so two nodes never take writes
//     at once, and if two survivors race certification lets one commit;
//   - there is no failback: a node that rejoins stays a reader until an
//     operator moves the row (scripts/ha writer NODE).
//
// It keeps its connections to the node between checks, so a check is a
// few statements rather than a client process and a login: checks can come
// often enough to see a new writer within a fraction of a second.
type WriterCheck struct {
	db *sql.DB
}

// NewWriterCheck returns the check of the node dsn reaches directly (not
// through a load balancer). Each statement gives up after timeout.
func NewWriterCheck(dsn string, timeout time.Duration) (*WriterCheck, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = timeout, timeout, timeout
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL DSN: %w", err)
	}
	db := sql.OpenDB(conn)
	// Both HAProxies check at once now and then; a check that cannot get
	// one of these waits for it rather than opening more.
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(2)
	db.SetConnMaxLifetime(time.Hour)
	return &WriterCheck{db: db}, nil
}

// Close closes the check's connections.
func (c *WriterCheck) Close() error { return c.db.Close() }

// nodeState is what one check reads.
type nodeState struct {
	state, ready, me, writer string
	members                  map[string]bool
}

// Check reports whether the node is the writer, and why in words.
func (c *WriterCheck) Check(ctx context.Context) (bool, string) {
	s, err := c.read(ctx)
	if err != nil {
		return false, fmt.Sprintf("not synced (unreachable: %v)", err)
	}
	if s.ready != "ON" || (s.state != "4" && s.state != "2") {
		return false, fmt.Sprintf("not synced (wsrep_local_state=%s wsrep_ready=%s)", cmp.Or(s.state, "?"), cmp.Or(s.ready, "?"))
	}
	switch {
	case s.writer == "":
		// The first check of a new cluster: the first node to get here
		// becomes the writer (INSERT IGNORE: a second changes nothing).
		_, err = c.db.ExecContext(ctx, `INSERT IGNORE INTO admit_ha.writer (id, node) VALUES (1, ?)`, s.me)
	case s.writer != s.me && !s.members[s.writer]:
		// The writer has left the cluster: take over.
		_, err = c.db.ExecContext(ctx, `UPDATE admit_ha.writer SET node = ?, since = CURRENT_TIMESTAMP(3) WHERE id = 1 AND node = ?`, s.me, s.writer)
	default:
		return c.answer(s)
	}
	if err != nil {
		return false, fmt.Sprintf("reader: could not write the writer row: %v", err)
	}
	if s, err = c.read(ctx); err != nil {
		return false, fmt.Sprintf("not synced (unreachable: %v)", err)
	}
	return c.answer(s)
}

func (c *WriterCheck) answer(s *nodeState) (bool, string) {
	if s.me != "" && s.writer == s.me {
		if s.state == "2" {
			return true, "writer (Donor)"
		}
		return true, "writer (Synced)"
	}
	return false, "reader: the writer is " + cmp.Or(s.writer, "not chosen yet")
}

// read reads the node's state, its name, the membership and the writer row
// (creating the row's table on a new cluster).
func (c *WriterCheck) read(ctx context.Context) (*nodeState, error) {
	s := &nodeState{members: map[string]bool{}}
	rows, err := c.db.QueryContext(ctx, `SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state', 'wsrep_ready')`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			rows.Close()
			return nil, err
		}
		if name == "wsrep_local_state" {
			s.state = value
		} else {
			s.ready = value
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.ready != "ON" {
		return s, nil // not in the Primary component: the rest would wait for it
	}
	if err := c.db.QueryRowContext(ctx, `SELECT @@wsrep_node_name`).Scan(&s.me); err != nil {
		return nil, err
	}
	rows, err = c.db.QueryContext(ctx, `SELECT node_name FROM mysql.wsrep_cluster_members`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		s.members[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = c.db.QueryRowContext(ctx, `SELECT node FROM admit_ha.writer WHERE id = 1`).Scan(&s.writer)
	var me *gomysql.MySQLError
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case errors.As(err, &me) && (me.Number == 1146 || me.Number == 1049): // no table or database yet
		if _, err := c.db.ExecContext(ctx, `CREATE DATABASE IF NOT EXISTS admit_ha`); err != nil {
			return nil, err
		}
		if _, err := c.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS admit_ha.writer (id TINYINT PRIMARY KEY, node VARCHAR(64) NOT NULL,
			since TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB`); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	return s, nil
}
