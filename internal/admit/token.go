package admit

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// API token scopes: what an integration may do with a token.
const (
	ScopeRead    = "read"    // read events, orders, tickets, check-in lists, codes, questions
	ScopeWrite   = "write"   // create and change orders, tickets and discount codes
	ScopeCheckIn = "checkin" // read check-in lists, check tickets in and undo check-ins
)

// APIScopes lists every scope in the order they are shown.
var APIScopes = []string{ScopeRead, ScopeWrite, ScopeCheckIn}

// APITokenPrefix starts every API token, so a leaked one is recognisable by
// secret scanners and by people.
const APITokenPrefix = "adm_"

// APIToken is a token an integration uses to act for one organization.
type APIToken struct {
	ID             int64
	OrganizationID int64
	// Organization is filled by AuthenticateAPIToken.
	Organization Organization
	Name         string
	// Prefix is the start of the secret, to tell tokens apart in lists.
	Prefix     string
	Scopes     []string
	CreatedBy  string // the creator's email, filled by ListAPITokens
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: in force
}

// Has reports whether the token was given scope.
func (t *APIToken) Has(scope string) bool { return slices.Contains(t.Scopes, scope) }

// Revoked reports whether the token no longer works.
func (t *APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// Validate reports the token's field problems and puts its scopes in their
// canonical order without repeats.
func (t *APIToken) Validate() error {
	var p Problems
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		p.Add("name", "Name the token after the integration that uses it.")
	case utf8.RuneCountInString(t.Name) > 200:
		p.Add("name", "At most 200 characters.")
	case strings.ContainsAny(t.Name, "\x00\r\n"):
		p.Add("name", "One line of text.")
	}
	var scopes []string
	for _, s := range APIScopes {
		if slices.Contains(t.Scopes, s) {
			scopes = append(scopes, s)
		}
	}
	for _, s := range t.Scopes {
		if !slices.Contains(APIScopes, s) {
			p.Add("scopes", "Choose scopes from the list.")
			break
		}
	}
	if len(t.Scopes) == 0 {
		p.Add("scopes", "Choose at least one scope.")
	}
	t.Scopes = scopes
	return p.Err()
}

// ScopesForRole lists the scopes a token may keep while its maker has
// role: owners and admins may hold tokens with every scope; check-in staff
// only what their console pages allow them, checking tickets in.
func ScopesForRole(role Role) []string {
	switch role {
	case RoleOwner, RoleAdmin:
		return APIScopes
	case RoleCheckIn:
		return []string{ScopeCheckIn}
	}
	return nil
}
