package console

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
)

type signupForm struct {
	OrgName, OrgSlug, Name, Email string
}

type signupPage struct {
	Base     basePage
	Form     signupForm
	Problems admit.Problems
	// Sent: the form was accepted and an email is on its way.
	Sent bool
}

func (h *Handler) signupShow(c echo.Context) error {
	return h.html(c, http.StatusOK, "signup", signupPage{Base: h.base(c, "")})
}

// signupSubmit checks the form and emails a link that creates the
// organization and its owner. The answer is the same whether or not the
// address has an account (its owner is emailed that it does), so the form
// does not tell anyone who has one; and nobody can sign up with an address
// they do not read.
func (h *Handler) signupSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	f := signupForm{
		OrgName: strings.TrimSpace(c.FormValue("org_name")),
		OrgSlug: strings.ToLower(strings.TrimSpace(c.FormValue("org_slug"))),
		Name:    strings.TrimSpace(c.FormValue("name")),
		Email:   strings.ToLower(strings.TrimSpace(c.FormValue("email"))),
	}
	password := c.FormValue("password")
	if f.OrgSlug == "" {
		f.OrgSlug = admit.Slugify(f.OrgName)
	}
	var p admit.Problems
	switch {
	case f.OrgName == "":
		p.Add("org_name", "Name your organization.")
	case utf8.RuneCountInString(f.OrgName) > 200:
		p.Add("org_name", "At most 200 characters.")
	}
	if !admit.ValidSlug(f.OrgSlug) {
		p.Add("org_slug", "Use 1 to 64 lower-case letters, digits and hyphens.")
	} else if admit.ReservedSlug(f.OrgSlug) {
		p.Add("org_slug", "This address is reserved; choose another.")
	}
	if f.Name == "" {
		p.Add("name", "Your name is required.")
	} else if utf8.RuneCountInString(f.Name) > 200 {
		p.Add("name", "At most 200 characters.")
	}
	if !admit.ValidEmail(f.Email) {
		p.Add("email", "Enter an email address such as name@example.com.")
	}
	switch {
	case utf8.RuneCountInString(password) < 10:
		p.Add("password", "Use at least 10 characters.")
	case len(password) > 72:
		p.Add("password", "Use at most 72 bytes.") // bcrypt's limit
	}
	if len(p) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "signup", signupPage{Base: h.base(c, ""), Form: f, Problems: p})
	}
	// Each sign-up sends an email: limited so the form cannot be used to
	// flood someone's inbox.
	address := admit.AddressKey(c.RealIP())
	if !h.limiter.Allow(ctx, "signup-address:"+address, 20, time.Hour) || !h.limiter.Allow(ctx, "signup-email:"+f.Email, 5, time.Hour) {
		c.Response().Header().Set("Retry-After", "3600")
		return h.html(c, http.StatusTooManyRequests, "signup", signupPage{Base: h.base(c, ""), Form: f,
			Problems: admit.Problems{{Field: "email", Message: "Too many sign-ups. Wait an hour, then try again."}}})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	token := admit.NewToken(32)
	s := &admit.Signup{Email: f.Email, Name: f.Name, OrgName: f.OrgName, OrgSlug: f.OrgSlug}
	if err := h.store.RequestSignup(ctx, s, string(hash), token, "/console/signup/confirm/"+token); err != nil {
		var de *admit.Error
		if errors.As(err, &de) && de.Code == admit.EINVALID {
			return h.html(c, http.StatusUnprocessableEntity, "signup", signupPage{Base: h.base(c, ""), Form: f,
				Problems: admit.Problems{{Field: de.Field, Message: de.Message}}})
		}
		return err
	}
	return h.html(c, http.StatusOK, "signup", signupPage{Base: h.base(c, ""), Form: signupForm{Email: f.Email}, Sent: true})
}

type signupConfirmPage struct {
	Base     basePage
	Token    string
	Signup   *admit.Signup
	Problems admit.Problems
}

// loadSignupConfirm loads the sign-up of the link in the URL: an unknown
// link is 404, a used or expired one 410. The token is in the path, so the
// page tells the browser not to send it on as a Referer.
func (h *Handler) loadSignupConfirm(c echo.Context) (signupConfirmPage, error) {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	token := c.Param("token")
	s, err := h.store.FindSignup(c.Request().Context(), token)
	if err != nil {
		return signupConfirmPage{}, err
	}
	return signupConfirmPage{Base: h.base(c, ""), Token: token, Signup: s}, nil
}

// signupConfirmShow asks the visitor to create the organization: a page
// with a button rather than creating it on GET, because mail scanners
// and link previews open links by themselves.
func (h *Handler) signupConfirmShow(c echo.Context) error {
	page, err := h.loadSignupConfirm(c)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "signup_confirm", page)
}

// signupConfirm creates the organization and its owner with the link,
// once, and logs them in.
func (h *Handler) signupConfirm(c echo.Context) error {
	page, err := h.loadSignupConfirm(c)
	if err != nil {
		return err
	}
	org, u, err := h.store.ConfirmSignup(c.Request().Context(), page.Token)
	if err != nil {
		var de *admit.Error
		if errors.As(err, &de) && de.Code == admit.EINVALID {
			page.Problems = admit.Problems{{Field: de.Field, Message: de.Message}}
			return h.html(c, http.StatusUnprocessableEntity, "signup_confirm", page)
		}
		return err
	}
	if err := h.startSession(c, u.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/console/"+org.Slug, "Welcome to Admit. Create your first event.")
}
