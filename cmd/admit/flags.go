package main

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"text/tabwriter"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/config"
)

const flagsSummary = `Roll a feature out to organizers: list or set the feature flags.

  admit flags list                 every flag and its setting, and the latest changes
  admit flags set NAME 10%         on for a stable tenth of organizations (growing keeps them in)
  admit flags set NAME org1,org2   on for these organizations (slugs)
  admit flags set NAME all|off     on for all, or for none

Every server sees a change within a few seconds. Changes are audited, with the
operator's name (ADMIT_OPERATOR, or the login name).`

func runFlags(ctx context.Context, env *environment, args []string) error {
	cfg, rest, err := config.Parse("flags", flagsSummary, args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	if len(rest) == 0 || (rest[0] == "set" && len(rest) != 3) || (rest[0] == "list" && len(rest) != 1) || (rest[0] != "set" && rest[0] != "list") {
		return errors.New("usage: admit flags list | admit flags set NAME 10%|org1,org2|all|off")
	}
	db, err := openMySQL(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db); err != nil {
		return err
	}
	if rest[0] == "set" {
		f, err := admit.ParseFlag(rest[1], rest[2])
		if err != nil {
			return fmt.Errorf("%s: %s", rest[2], admit.ErrorMessage(err))
		}
		by := env.getenv("ADMIT_OPERATOR")
		if by == "" {
			if u, err := user.Current(); err == nil {
				by = u.Username
			}
		}
		old, err := db.SetFlag(ctx, f, by)
		if err != nil {
			return err
		}
		note := ""
		if !admit.KnownFlag(f.Name) {
			note = " (no code asks about this flag yet)"
		}
		fmt.Fprintf(env.stdout, "admit flags: %s: %s -> %s%s\n", f.Name, old, f, note)
		return nil
	}
	list, err := db.ListFlags(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FLAG\tSETTING")
	for _, f := range admit.OperatorFlags(list) {
		note := ""
		if !admit.KnownFlag(f.Name) {
			note = " (unknown to this version)"
		}
		fmt.Fprintf(w, "%s\t%s%s\n", f.Name, f, note)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	changes, err := db.FlagChanges(ctx, 10)
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		fmt.Fprintln(env.stdout, "\nLatest changes:")
		for _, c := range changes {
			fmt.Fprintf(env.stdout, "  %s  %s: %s -> %s by %s\n", c.At.UTC().Format("2006-01-02 15:04:05"), c.Name, c.Old, c.New, c.By)
		}
	}
	return nil
}
