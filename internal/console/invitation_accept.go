package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
)

type invitationPage struct {
	Base       basePage
	Token      string
	Invitation *admit.Invitation
	RoleLabel  string
	// HasAccount: the invited address has an account, so its owner logs in
	// and accepts; otherwise the page creates the account.
	HasAccount bool
	// SignedIn is the invited user, signed in and able to accept at once.
	SignedIn bool
	// OtherUser is the email of someone else who is signed in.
	OtherUser string
	LoginURL  string
	Name      string
	Problem   string
	Problems  admit.Problems
}

// invitationPage loads the invitation in the URL (404 if unknown, 410 if
// used, withdrawn or expired) and who is looking at it.
func (h *Handler) loadInvitationPage(c echo.Context) (invitationPage, *admit.User, error) {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	ctx := c.Request().Context()
	token := c.Param("token")
	inv, err := h.store.FindInvitation(ctx, token)
	if err != nil {
		return invitationPage{}, nil, err
	}
	cur, err := h.optionalUser(c)
	if err != nil {
		return invitationPage{}, nil, err
	}
	page := invitationPage{Base: h.base(c, ""), Token: token, Invitation: inv, RoleLabel: roleLabel(inv.Role),
		LoginURL: "/console/login?next=" + url.QueryEscape("/console/invitations/"+token)}
	existing, err := h.store.FindUserByEmail(ctx, inv.Email)
	if err != nil && admit.ErrorCode(err) != admit.ENOTFOUND {
		return invitationPage{}, nil, err
	}
	page.HasAccount = existing != nil
	switch {
	case cur != nil && existing != nil && cur.ID == existing.ID:
		page.SignedIn = true
	case cur != nil:
		page.OtherUser = cur.Email
	}
	return page, cur, nil
}

func (h *Handler) invitationShow(c echo.Context) error {
	page, _, err := h.loadInvitationPage(c)
	if err != nil {
		return err
	}
	return h.html(c, http.StatusOK, "invitation", page)
}

// invitationAccept makes the visitor a member with the invited role: the
// invited user if they are signed in, or a new account for the invited
// address. The link works once.
func (h *Handler) invitationAccept(c echo.Context) error {
	page, cur, err := h.loadInvitationPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if page.HasAccount {
		if !page.SignedIn {
			page.Problem = "Log in as " + page.Invitation.Email + " to accept this invitation."
			return h.html(c, http.StatusForbidden, "invitation", page)
		}
		inv, joined, err := h.store.AcceptInvitation(ctx, page.Token, cur)
		if err != nil {
			return err
		}
		msg := "Welcome to " + inv.Organization.Name + "."
		if !joined {
			msg = "You were already a member of " + inv.Organization.Name + "; your role is unchanged."
		}
		return h.redirectWithFlash(c, "/console/"+inv.Organization.Slug, msg)
	}

	page.Name = strings.TrimSpace(c.FormValue("name"))
	password := c.FormValue("password")
	switch {
	case page.Name == "":
		page.Problems.Add("name", "Your name is required.")
	case utf8.RuneCountInString(page.Name) > 200:
		page.Problems.Add("name", "At most 200 characters.")
	}
	passwordPolicy(&page.Problems, password, c.FormValue("password_confirm"))
	if len(page.Problems) > 0 {
		return h.html(c, http.StatusUnprocessableEntity, "invitation", page)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	u := &admit.User{Name: page.Name, PasswordHash: string(hash)}
	inv, _, err := h.store.AcceptInvitation(ctx, page.Token, u)
	if err != nil {
		var de *admit.Error
		if errors.As(err, &de) && de.Code == admit.EINVALID {
			// The address got an account since the page was shown.
			page.HasAccount, page.Problem = true, de.Message
			return h.html(c, http.StatusConflict, "invitation", page)
		}
		return err
	}
	if err := h.startSession(c, u.ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/console/"+inv.Organization.Slug, "Welcome to "+inv.Organization.Name+".")
}
