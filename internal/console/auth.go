package console

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

const (
	sessionCookie = "admit_session"
	userKey       = "console_user"
	memberKey     = "console_member"
)

type member struct {
	user *admit.User
	org  admit.Organization
	role admit.Role
}

// requireUser loads the session's user or sends the visitor to the login
// page. Sessions live in Redis, so any app server can serve the request.
func (h *Handler) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil {
			return h.toLogin(c)
		}
		ctx := c.Request().Context()
		sess, err := h.sessions.Get(ctx, ck.Value)
		if admit.ErrorCode(err) == admit.EUNAUTHORIZED {
			return h.toLogin(c)
		} else if err != nil {
			return err
		}
		if outdated, err := h.sessionOutdated(ctx, ck.Value, sess); err != nil {
			return err
		} else if outdated {
			return h.toLogin(c)
		}
		u, err := h.store.FindUser(ctx, sess.UserID)
		if admit.ErrorCode(err) == admit.ENOTFOUND {
			return h.toLogin(c)
		} else if err != nil {
			return err
		}
		c.Set(userKey, u)
		return next(c)
	}
}

func (h *Handler) toLogin(c echo.Context) error {
	if c.Request().Method != http.MethodGet {
		return admit.Errorf(admit.EUNAUTHORIZED, "Your session has ended. Please log in again.")
	}
	return c.Redirect(http.StatusSeeOther, "/console/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
}

// requireRole loads the user's membership of the organization in the URL on
// every request (so a removed member loses access at once) and checks the
// role. Not being a member is 404, exactly like a missing organization: an
// outsider learns nothing. A member without the role gets 403.
func (h *Handler) requireRole(roles ...admit.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := c.Get(userKey).(*admit.User)
			m, err := h.store.FindMembership(c.Request().Context(), c.Param("org"), u.ID)
			if err != nil {
				return err
			}
			allowed := false
			for _, r := range roles {
				if m.Role == r {
					allowed = true
				}
			}
			if !allowed {
				return admit.Errorf(admit.EFORBIDDEN, "Your role in this organization does not allow this page.")
			}
			c.Set(memberKey, &member{user: u, org: m.Organization, role: m.Role})
			return next(c)
		}
	}
}

func currentMember(c echo.Context) *member { return c.Get(memberKey).(*member) }
