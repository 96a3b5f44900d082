package console

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/server"
)

// teamPages are the page templates of accounts and teams.
var teamPages = []string{"team", "invitation", "password_forgot", "password_reset", "password_change"}

// TeamStore is what accounts and teams need from storage.
type TeamStore interface {
	RequestPasswordReset(ctx context.Context, email, token, path string) (userID int64, err error)
	FindPasswordReset(ctx context.Context, token string) (*admit.PasswordReset, error)
	ResetPassword(ctx context.Context, token, hash string, changedAt time.Time) (userID int64, err error)
	ChangePassword(ctx context.Context, userID int64, hash string, changedAt time.Time) error
	PasswordChangedAt(ctx context.Context, userID int64) (time.Time, error)
	ListMembers(ctx context.Context, orgID int64) ([]admit.Member, error)
	ListInvitations(ctx context.Context, orgID int64) ([]*admit.Invitation, error)
	CreateInvitation(ctx context.Context, inv *admit.Invitation, token, path string) error
	RevokeInvitation(ctx context.Context, orgID, id, byUserID int64) (*admit.Invitation, error)
	FindInvitation(ctx context.Context, token string) (*admit.Invitation, error)
	AcceptInvitation(ctx context.Context, token string, u *admit.User) (inv *admit.Invitation, joined bool, err error)
	ChangeMemberRole(ctx context.Context, orgID, userID int64, role admit.Role, byUserID int64) (*admit.Member, error)
	RemoveMember(ctx context.Context, orgID, userID, byUserID int64) (*admit.Member, error)
}

// registerTeam adds the account and team routes: public ones (password
// reset, accepting an invitation) to public, the signed-in user's own to
// user, and member management to owners.
func (h *Handler) registerTeam(public, user, owners *echo.Group) {
	public.GET("/password/forgot", h.passwordForgotShow)
	public.POST("/password/forgot", h.passwordForgotSubmit)
	// These paths carry the secret of an emailed link: the access log
	// names their route instead.
	public.GET("/password/reset/:token", h.passwordResetShow, server.HidePath)
	public.POST("/password/reset/:token", h.passwordResetSubmit, server.HidePath)
	public.GET("/invitations/:token", h.invitationShow, server.HidePath)
	public.POST("/invitations/:token", h.invitationAccept, server.HidePath)

	user.GET("/account/password", h.passwordChangeShow)
	user.POST("/account/password", h.passwordChangeSubmit)

	owners.GET("/team", h.teamShow)
	owners.POST("/team/invitations", h.teamInvite)
	owners.POST("/team/invitations/:invitation/revoke", h.teamRevoke)
	owners.POST("/team/:user/role", h.teamRoleChange)
	owners.POST("/team/:user/remove", h.teamRemove)
}

// roleOption is one choice of role in a form.
type roleOption struct {
	Value admit.Role
	Label string
}

var roleOptions = []roleOption{
	{admit.RoleOwner, "Owner"},
	{admit.RoleAdmin, "Admin"},
	{admit.RoleCheckIn, "Check-in"},
}

// parseRole returns the role named v, or false.
func parseRole(v string) (admit.Role, bool) {
	for _, o := range roleOptions {
		if string(o.Value) == v {
			return o.Value, true
		}
	}
	return "", false
}

func roleLabel(r admit.Role) string {
	for _, o := range roleOptions {
		if o.Value == r {
			return o.Label
		}
	}
	return string(r)
}

// passwordPolicy checks a new password and its confirmation, with the same
// limits as sign-up.
func passwordPolicy(p *admit.Problems, password, confirmation string) {
	switch {
	case len([]rune(password)) < 10:
		p.Add("password", "Use at least 10 characters.")
	case len(password) > 72:
		p.Add("password", "Use at most 72 bytes.") // bcrypt's limit
	case confirmation != password:
		p.Add("password_confirm", "The two passwords differ.")
	}
}

// passwordChangeTime is when a password change takes effect: sessions
// started before it are refused. Session start times come from the app
// servers' clock, so this does too, cut to what MySQL stores.
func passwordChangeTime() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

func formatUTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatOrgTime(t)
}
