package admit

import "time"

// Member is one member of an organization, as the team page lists them.
type Member struct {
	UserID int64
	Name   string
	Email  string
	Role   Role
	Since  time.Time
}

// Invitation asks someone, by email, to join an organization with a role.
type Invitation struct {
	ID             int64
	OrganizationID int64
	// Organization is filled by FindInvitation, for the acceptance page.
	Organization Organization
	Email        string
	Role         Role
	InvitedBy    int64
	// InvitedByEmail is filled by ListInvitations.
	InvitedByEmail string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// PasswordReset is a usable password reset link.
type PasswordReset struct {
	UserID    int64
	Email     string
	ExpiresAt time.Time
}
