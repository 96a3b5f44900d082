package admit

import "time"

// OrganizationRole is one organization a user belongs to, with their role.
type OrganizationRole struct {
	Organization Organization
	Role         Role
}

// AuditEntry is one line of an organization's audit log.
type AuditEntry struct {
	ID        int64
	UserEmail string
	Action    string
	Object    string
	Detail    string
	CreatedAt time.Time
}
