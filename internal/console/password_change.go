package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
)

type passwordChangePage struct {
	Base     basePage
	Problems admit.Problems
}

func (h *Handler) passwordChangeShow(c echo.Context) error {
	return h.html(c, http.StatusOK, "password_change", passwordChangePage{Base: h.base(c, "account")})
}

// passwordChangeSubmit changes the signed-in user's password after checking
// the current one (rate-limited, so a borrowed session cannot guess it).
// Other sessions of the account end; this browser gets a new one.
func (h *Handler) passwordChangeSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	u := c.Get(userKey).(*admit.User)
	page := passwordChangePage{Base: h.base(c, "account")}
	current, password := c.FormValue("current_password"), c.FormValue("password")
	limitKey := "password-change:" + strconv.FormatInt(u.ID, 10)
	if !h.limiter.Allow(ctx, limitKey, 10, 15*time.Minute) {
		c.Response().Header().Set("Retry-After", "900")
		page.Problems.Add("current_password", "Too many attempts. Wait 15 minutes, then try again.")
		return h.html(c, http.StatusTooManyRequests, "password_change", page)
	}
	if current == "" {
		page.Problems.Add("current_password", "Enter your current password.")
	} else if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		page.Problems.Add("current_password", "This is not your current password.")
	}
	passwordPolicy(&page.Problems, password, c.FormValue("password_confirm"))
	if len(page.Problems) == 0 && password == current {
		page.Problems.Add("password", "Choose a password different from the current one.")
	}
	if len(page.Problems) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "password_change", page)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	if err := h.store.ChangePassword(ctx, u.ID, string(hash), passwordChangeTime()); err != nil {
		return err
	}
	h.limiter.Reset(ctx, limitKey)
	if err := h.startSession(c, u.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/console", "Your password is changed. Your other browsers are logged out.")
}
