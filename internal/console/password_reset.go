package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
)

type passwordForgotPage struct {
	Base     basePage
	Email    string
	Sent     bool
	Problems admit.Problems
}

func (h *Handler) passwordForgotShow(c echo.Context) error {
	return h.html(c, http.StatusOK, "password_forgot", passwordForgotPage{Base: h.base(c, "")})
}

// passwordForgotSubmit sends a reset link to an existing account. The
// answer is the same whether or not the account exists, so the form does
// not tell anyone who has an account; the work done is alike too (one
// transaction either way).
func (h *Handler) passwordForgotSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	page := passwordForgotPage{Base: h.base(c, ""), Email: strings.ToLower(strings.TrimSpace(c.FormValue("email")))}
	if !admit.ValidEmail(page.Email) {
		page.Problems.Add("email", "Enter an email address such as name@example.com.")
		return h.html(c, http.StatusUnprocessableEntity, "password_forgot", page)
	}
	if !h.limiter.Allow(ctx, "reset-ip:"+c.RealIP(), 20, time.Hour) || !h.limiter.Allow(ctx, "reset-account:"+page.Email, 5, time.Hour) {
		c.Response().Header().Set("Retry-After", "3600")
		page.Problems.Add("email", "Too many requests. Wait an hour, then try again.")
		return h.html(c, http.StatusTooManyRequests, "password_forgot", page)
	}
	token := admit.NewToken(32)
	if _, err := h.store.RequestPasswordReset(ctx, page.Email, token, "/console/password/reset/"+token); err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "password_forgot", passwordForgotPage{Base: page.Base, Sent: true})
}

type passwordResetPage struct {
	Base     basePage
	Token    string
	Email    string
	Problems admit.Problems
}

// resetPage loads the reset link in the URL; an unknown link is 404, a
// used or expired one 410. The token is in the path, so the page tells the
// browser not to send it on as a Referer.
func (h *Handler) resetPage(c echo.Context) (passwordResetPage, error) {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	token := c.Param("token")
	r, err := h.store.FindPasswordReset(c.Request().Context(), token)
	if err != nil {
		return passwordResetPage{}, err
	}
	return passwordResetPage{Base: h.base(c, ""), Token: token, Email: r.Email}, nil
}

func (h *Handler) passwordResetShow(c echo.Context) error {
	page, err := h.resetPage(c)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "password_reset", page)
}

// passwordResetSubmit sets the new password with the link, once; every
// session of the account started before is refused from now on.
func (h *Handler) passwordResetSubmit(c echo.Context) error {
	page, err := h.resetPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	password := c.FormValue("password")
	passwordPolicy(&page.Problems, password, c.FormValue("password_confirm"))
	if len(page.Problems) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "password_reset", page)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	if _, err := h.store.ResetPassword(ctx, page.Token, string(hash), passwordChangeTime()); err != nil {
		return err
	}
	// Whoever holds the link has proved they own the address; a lockout
	// from earlier wrong guesses here should not keep them out.
	h.limiter.Forgive(ctx, loginFailures(strings.ToLower(page.Email), c.RealIP())[0])
	return h.redirectWithFlash(c, "/console/login", "Your password is changed. Log in with it.")
}
