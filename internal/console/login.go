package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
)

type loginPage struct {
	Base    basePage
	Email   string
	Next    string
	Problem string
}

// dummyHash makes a login for an unknown email cost the same bcrypt time as
// one for a known email, so timing does not reveal which accounts exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

func (h *Handler) loginShow(c echo.Context) error {
	return h.html(c, http.StatusOK, "login", loginPage{Base: h.base(c, ""), Next: safeNext(c.QueryParam("next"))})
}

// loginSubmit checks the password, rate-limited per account and per
// address, and starts a new session (a new id: a session id planted before
// login is never promoted).
func (h *Handler) loginSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	page := loginPage{Base: h.base(c, ""), Email: email, Next: safeNext(c.FormValue("next"))}
	if !h.limiter.Allow(ctx, "login-ip:"+c.RealIP(), 50, 15*time.Minute) || !h.limiter.Allow(ctx, "login-account:"+email, 10, 15*time.Minute) {
		c.Response().Header().Set("Retry-After", "900")
		page.Problem = "Too many attempts. Wait 15 minutes, then try again."
		return h.html(c, http.StatusTooManyRequests, "login", page)
	}
	u, err := h.store.FindUserByEmail(ctx, email)
	if err != nil && admit.ErrorCode(err) != admit.ENOTFOUND {
		return err
	}
	hash := dummyHash
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || u == nil {
		page.Problem = "The email or password is wrong."
		return h.html(c, http.StatusUnauthorized, "login", page)
	}
	h.limiter.Reset(ctx, "login-account:"+email)
	if err := h.startSession(c, u.ID); err != nil {
		return err
	}
	if page.Next != "" {
		return c.Redirect(http.StatusSeeOther, page.Next)
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}

func (h *Handler) startSession(c echo.Context, userID int64) error {
	if old, err := c.Cookie(sessionCookie); err == nil {
		_ = h.sessions.Delete(c.Request().Context(), old.Value)
	}
	id, err := h.sessions.Create(c.Request().Context(), userID)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: "/console", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: 12 * 3600})
	return nil
}

// logout ends the session in Redis, so the cookie is worthless even if kept.
func (h *Handler) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := h.sessions.Delete(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Path: "/console", MaxAge: -1, HttpOnly: true, Secure: h.secure})
	return c.Redirect(http.StatusSeeOther, "/console/login")
}

// safeNext only follows console paths, never another site.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return ""
}
