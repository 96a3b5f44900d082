package admit

import (
	"regexp"
	"strings"
	"time"
)

// Organization owns events, members, tokens and everything sold through them.
// Every query outside of sign-up is scoped by an organization id.
type Organization struct {
	ID        int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

// Role is what a member may do in an organization.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleCheckIn Role = "checkin"
)

// User is a person who can log in to the console.
type User struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string
	CreatedAt    time.Time
}

// Membership ties a user to an organization with a role.
type Membership struct {
	OrganizationID int64
	UserID         int64
	Role           Role
}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// ValidSlug reports whether s can be used in a URL as an organization or event
// slug: lower-case letters, digits and inner hyphens, 1 to 64 characters.
func ValidSlug(s string) bool {
	return slugPattern.MatchString(s)
}

// Slugify turns a name into a slug candidate ("Gophers Summit 2027" becomes
// "gophers-summit-2027"); the caller still checks uniqueness.
func Slugify(name string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			sb.WriteRune(r)
			dash = false
		case !dash && sb.Len() > 0:
			sb.WriteByte('-')
			dash = true
		}
		if sb.Len() >= 64 {
			break
		}
	}
	return strings.Trim(sb.String(), "-")
}

// reservedSlugs are words the console uses in its own URLs next to an
// organization's slug.
var reservedSlugs = map[string]bool{"invitations": true, "password": true, "account": true, "login": true,
	"logout": true, "signup": true, "static": true, "api": true, "console": true, "admin": true}

// ReservedSlug reports whether s cannot name an organization.
func ReservedSlug(s string) bool { return reservedSlugs[s] }
