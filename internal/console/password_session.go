package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// sessionOutdated reports whether the session started before its user's
// last password change, and ends it if so: changing or resetting a
// password logs out every other browser. The time of the change lives in
// MySQL, so it holds even if Redis loses writes in a failover.
func (h *Handler) sessionOutdated(ctx context.Context, id string, sess *admit.Session) (bool, error) {
	changed, err := h.store.PasswordChangedAt(ctx, sess.UserID)
	if err != nil {
		return false, err
	}
	if changed.IsZero() || !sess.CreatedAt.Before(changed) {
		return false, nil
	}
	_ = h.sessions.Delete(ctx, id)
	return true, nil
}

// optionalUser loads the signed-in user on a public page, or returns nil
// for a visitor without a valid session. Like requireUser, it leaves the
// user in the context for the page's header.
func (h *Handler) optionalUser(c echo.Context) (*admit.User, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	ctx := c.Request().Context()
	sess, err := h.sessions.Get(ctx, ck.Value)
	if admit.ErrorCode(err) == admit.EUNAUTHORIZED {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if outdated, err := h.sessionOutdated(ctx, ck.Value, sess); err != nil || outdated {
		return nil, err
	}
	u, err := h.store.FindUser(ctx, sess.UserID)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c.Set(userKey, u)
	return u, nil
}
