package admit

import "time"

// OutboxRow is one recorded side effect.
type OutboxRow struct {
	ID             int64
	OrganizationID int64
	Kind           OutboxKind
	Payload        []byte
	CreatedAt      time.Time
	Attempts       int
	Done           bool
	Result         string
	// Subscribed tells, for a webhook event read by FindOutboxRows,
	// whether an enabled endpoint of the organization wants it.
	Subscribed bool
}

// OutboxStats is what operators watch: how much is waiting and for how long.
type OutboxStats struct {
	Pending      int
	OldestAge    time.Duration
	FailingCount int // pending rows whose last attempt failed
}

// InvitationEmail is what the invitation email needs.
type InvitationEmail struct {
	Email, Organization, Role, InvitedBy string
}

// OrderRef names an order of an organization.
type OrderRef struct {
	OrganizationID, ID int64
}

// OutboxResult is what performing one side effect came to: done with what
// it produced, or failed (Err set) with why.
type OutboxResult struct {
	ID     int64
	Result string
	Err    string
}
