package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/admithq/admit/internal/config"
)

const migrateSummary = `Apply or list the database migrations.

  admit migrate up       apply every pending migration
  admit migrate status   list migrations and when each was applied`

func runMigrate(ctx context.Context, env *environment, args []string) error {
	cfg, rest, err := config.Parse("migrate", migrateSummary, args, env.getenv, env.stdout)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (rest[0] != "up" && rest[0] != "status") {
		return errors.New("usage: admit migrate [flags] up|status")
	}
	db, err := openMySQL(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch rest[0] {
	case "up":
		n, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "admit migrate: %d migrations applied; schema is current\n", n)
	case "status":
		states, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tMIGRATION\tAPPLIED")
		for _, s := range states {
			applied := "pending"
			if s.Applied {
				applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05 UTC")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, s.Name, applied)
		}
		tw.Flush()
	}
	return nil
}
