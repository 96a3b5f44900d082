package console

import (
	"errors"
	"net/http"
	"strings"
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
}

func (h *Handler) signupShow(c echo.Context) error {
	return h.html(c, http.StatusOK, "signup", signupPage{Base: h.base(c, "")})
}

// signupSubmit creates an organization and its owner, then logs them in.
func (h *Handler) signupSubmit(c echo.Context) error {
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
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	org := &admit.Organization{Slug: f.OrgSlug, Name: f.OrgName}
	u := &admit.User{Email: f.Email, Name: f.Name, PasswordHash: string(hash)}
	if err := h.store.SignUp(c.Request().Context(), org, u); err != nil {
		var de *admit.Error
		if errors.As(err, &de) && de.Code == admit.EINVALID {
			return h.html(c, http.StatusUnprocessableEntity, "signup", signupPage{Base: h.base(c, ""), Form: f,
				Problems: admit.Problems{{Field: de.Field, Message: de.Message}}})
		}
		return err
	}
	if err := h.startSession(c, u.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/console/"+org.Slug, "Welcome to Admit. Create your first event.")
}
