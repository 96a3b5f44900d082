package admit

import "time"

// Backup kinds: a full physical copy of the database, or one binary log
// file shipped after it, replayed on top of a full one to reach a second.
const (
	BackupFull   = "full"
	BackupBinlog = "binlog"
)

// Backup is one object admit backup stored.
type Backup struct {
	ID         int64
	Kind       string
	Key        string // the S3 object
	Size       int64
	Source     string // host:port of the server copied
	BinlogFile string // full: where its binary log position is; binlog: the file
	BinlogPos  uint64
	StartedAt  time.Time
	FinishedAt time.Time
}

// LedgerReport is what checking a restored ledger found: counts of what is
// there and every inconsistency, each named.
type LedgerReport struct {
	Organizations, Orders, PaidOrders, Tickets, TicketTypes int
	OutboxPending, OutboxDone                               int
	Problems                                                []string
}
