package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/config"
	"github.com/admithq/admit/internal/mysql"
)

const (
	demoOrgSlug   = "demo"
	demoEventSlug = "gophersummit"
	demoEmail     = "organizer@demo.admit.localhost"
)

// runDemo loads the demo organization, its published event and an organizer
// login. It is idempotent: on a second run it only resets the organizer's
// password and prints the login again.
func runDemo(ctx context.Context, env *environment, args []string) error {
	cfg, _, err := config.Parse("demo", "Load a demo organization, a published event and an organizer login, and print the login.", args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	db, err := openMySQL(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db); err != nil {
		return err
	}
	password := admit.NewToken(8)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	if err := loadDemo(ctx, db, string(hash)); err != nil {
		return err
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	fmt.Fprintf(env.stdout, "admit demo: event page  %s/e/%s/%s\n", base, demoOrgSlug, demoEventSlug)
	fmt.Fprintf(env.stdout, "admit demo: organizer   %s / %s (console at %s/console)\n", demoEmail, password, base)
	return nil
}

func loadDemo(ctx context.Context, db *mysql.DB, passwordHash string) error {
	user, err := db.FindUserByEmail(ctx, demoEmail)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		user = &admit.User{Email: demoEmail, Name: "Demo Organizer", PasswordHash: passwordHash}
		err = db.CreateUser(ctx, user)
	} else if err == nil {
		err = db.SetUserPassword(ctx, user.ID, passwordHash)
	}
	if err != nil {
		return err
	}
	org, err := db.FindOrganizationBySlug(ctx, demoOrgSlug)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		org = &admit.Organization{Slug: demoOrgSlug, Name: "Demo Events"}
		err = db.CreateOrganization(ctx, org)
	}
	if err != nil {
		return err
	}
	if err := db.AddMembership(ctx, admit.Membership{OrganizationID: org.ID, UserID: user.ID, Role: admit.RoleOwner}); err != nil {
		return err
	}
	if _, err := db.FindEventBySlug(ctx, org.ID, demoEventSlug); err == nil {
		return nil
	} else if admit.ErrorCode(err) != admit.ENOTFOUND {
		return err
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return fmt.Errorf("time zone data missing (install tzdata): %w", err)
	}
	// Always in the future, so the demo stays on sale.
	year := time.Now().Year() + 1
	ev := &admit.Event{
		OrganizationID: org.ID,
		Slug:           demoEventSlug,
		Name:           fmt.Sprintf("Gophers Summit %d", year),
		Description: "Two days of talks and workshops about Go in production: concurrency, observability and the systems that stay up.\n\n" +
			"Doors open at 8:30. Lunch and coffee are included in paid tickets.",
		Venue:        "Kulturbrauerei",
		Address:      "Schönhauser Allee 36, 10435 Berlin",
		TimeZone:     "Europe/Berlin",
		StartsAt:     time.Date(year, time.March, 15, 9, 0, 0, 0, berlin),
		EndsAt:       time.Date(year, time.March, 16, 18, 0, 0, 0, berlin),
		Currency:     "EUR",
		Status:       admit.EventPublished,
		HoldMinutes:  admit.DefaultHoldMinutes,
		ContactEmail: "hello@demo.admit.localhost",
	}
	if err := db.CreateEvent(ctx, ev); err != nil {
		return err
	}
	for i, t := range []admit.TicketType{
		{Name: "Community", Description: "Free entry to the talks, for students and community organizers.", Price: 0, Quantity: 200, MinPerOrder: 1, MaxPerOrder: 2},
		{Name: "Standard", Description: "Talks, workshops, lunch and coffee.", Price: 12900, Quantity: 500, MinPerOrder: 1, MaxPerOrder: 10},
		{Name: "Supporter", Description: "Everything in Standard, plus our thanks on the website.", Price: 29900, Quantity: 50, MinPerOrder: 1, MaxPerOrder: 5},
	} {
		t.OrganizationID, t.EventID, t.Position = org.ID, ev.ID, i
		if err := db.CreateTicketType(ctx, &t); err != nil {
			return err
		}
	}
	return nil
}
