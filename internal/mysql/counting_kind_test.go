package mysql

import "testing"

// TestStatementKind: statements are classified by their first keyword as
// the server's Com_ counters are, whatever comes before it.
func TestStatementKind(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        string
	}{
		{name: "select", query: "SELECT 1", want: "select"},
		{name: "lower case and leading blanks", query: "\n\t  select 1", want: "select"},
		{name: "parenthesised union", query: "(SELECT 1) UNION (SELECT 2)", want: "select"},
		{name: "common table expression", query: "WITH x AS (SELECT 1) SELECT * FROM x", want: "select"},
		{name: "insert", query: "INSERT INTO t VALUES (1)", want: "insert"},
		{name: "insert select", query: "INSERT INTO t SELECT 1", want: "insert"},
		{name: "update after a comment", query: "/* hot path */ UPDATE t SET v = 1", want: "update"},
		{name: "delete after a line comment", query: "-- why\nDELETE FROM t", want: "delete"},
		{name: "replace", query: "REPLACE INTO t VALUES (1)", want: "replace"},
		{name: "set", query: "SET time_zone = '+00:00'", want: "set"},
		{name: "set for one statement", query: "SET STATEMENT wsrep_sync_wait = 1 FOR SELECT h.id FROM holds h", want: "select"},
		{name: "start transaction", query: "START TRANSACTION", want: "begin"},
		{name: "begin", query: "BEGIN", want: "begin"},
		{name: "compound statement", query: "BEGIN NOT ATOMIC IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000'; END IF; END", want: "other"},
		{name: "commit", query: "COMMIT", want: "commit"},
		{name: "rollback", query: "ROLLBACK", want: "rollback"},
		{name: "show", query: "SHOW GLOBAL STATUS", want: "other"},
		{name: "unterminated comment", query: "/* SELECT 1", want: "other"},
		{name: "empty", query: "", want: "other"},
		{name: "keyword glued to a parenthesis", query: "SELECT(1)", want: "select"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StatementKinds[statementKind(tc.query)]; got != tc.want {
				t.Errorf("statementKind(%q) = %s, want %s", tc.query, got, tc.want)
			}
		})
	}
}
