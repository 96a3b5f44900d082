package mysql

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
)

// TestMigrationLostConnectionSaysWhatToDo: a migration whose connection
// was closed under it (HAProxy closing sessions while Galera runs a long
// DDL) says its change may be made but not recorded, and what to do; a
// migration that failed on its own SQL is reported as it is.
func TestMigrationLostConnectionSaysWhatToDo(t *testing.T) {
	failed := func(err error) error {
		return &goose.PartialError{Failed: &goose.MigrationResult{Source: &goose.Source{Type: goose.TypeSQL, Version: 64}}, Err: err}
	}
	lost := explainMigrationError(failed(errors.Join(gomysql.ErrInvalidConn, gomysql.ErrInvalidConn)))
	for _, want := range []string{"migration 64", "may be made but not recorded", "admit migrate up"} {
		if !strings.Contains(lost.Error(), want) {
			t.Errorf("lost connection: %q does not say %q", lost, want)
		}
	}
	if !errors.Is(lost, gomysql.ErrInvalidConn) {
		t.Errorf("lost connection: %v no longer wraps the driver's error", lost)
	}
	sqlErr := failed(&gomysql.MySQLError{Number: 1061, Message: "Duplicate key name 'outbox_retry'"})
	if got := explainMigrationError(sqlErr); got != sqlErr {
		t.Errorf("SQL error: %v, want it unchanged", got)
	}
	if got := explainMigrationError(fmt.Errorf("plain")); got.Error() != "plain" {
		t.Errorf("other error: %v, want it unchanged", got)
	}
}
