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

// loginFailures are the allowances of wrong passwords, as OWASP's
// authentication cheat sheet advises: per account and address together, so
// that guessing from one place stops without anyone being able to lock the
// owner out from theirs, and per address alone, so that one place cannot
// try a few passwords on many accounts. Successful logins never count.
func loginFailures(email, address string) []admit.Failures {
	address = admit.AddressKey(address)
	return []admit.Failures{
		{Key: admit.FailureKey("login", email, address), Max: 10, Window: 15 * time.Minute},
		{Key: admit.FailureKey("login-address", address), Max: 50, Window: 15 * time.Minute},
	}
}

// loginSubmit checks the password, limited by the wrong passwords from
// this address (see loginFailures), and starts a new session (a new id: a
// session id planted before login is never promoted).
func (h *Handler) loginSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	page := loginPage{Base: h.base(c, ""), Email: email, Next: safeNext(c.FormValue("next"))}
	failures := loginFailures(email, c.RealIP())
	if h.limiter.Blocked(ctx, failures...) {
		c.Response().Header().Set("Retry-After", "900")
		page.Problem = "Too many wrong passwords from here. Wait 15 minutes, then try again, or reset your password."
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
		h.limiter.Fail(ctx, failures...)
		page.Problem = "The email or password is wrong."
		return h.html(c, http.StatusUnauthorized, "login", page)
	}
	// Only this address's count for the account: the per-address count
	// keeps the failures against other accounts.
	h.limiter.Forgive(ctx, failures[0])
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
