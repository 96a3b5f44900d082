package admit

import "time"

// Signup is a sign-up waiting for its email link: the organization and the
// owner it will create.
type Signup struct {
	Email, Name      string
	OrgName, OrgSlug string
	ExpiresAt        time.Time
}

// SignupLifetime is how long a sign-up link works.
const SignupLifetime = 24 * time.Hour
