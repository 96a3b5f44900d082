package mysql

import (
	"context"
	"database/sql"
	"strings"

	"github.com/admithq/admit/internal/admit"
)

// ListFlags returns every flag that has been set.
func (d *DB) ListFlags(ctx context.Context) (flags []admit.Flag, err error) {
	defer wrap(&err, "DB.ListFlags")
	rows, err := d.db.QueryContext(ctx, `SELECT name, mode, percent, orgs FROM feature_flags ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f admit.Flag
		var orgs string
		if err := rows.Scan(&f.Name, &f.Mode, &f.Percent, &orgs); err != nil {
			return nil, err
		}
		if orgs != "" {
			f.Orgs = strings.Split(orgs, ",")
		}
		flags = append(flags, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range flags {
		if flags[i].Mode != admit.FlagOrgs || len(flags[i].Orgs) == 0 {
			continue
		}
		args := make([]any, len(flags[i].Orgs))
		for j, slug := range flags[i].Orgs {
			args[j] = slug
		}
		ids, err := d.db.QueryContext(ctx, `SELECT id, slug FROM organizations WHERE slug IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		found := map[string]bool{}
		for ids.Next() {
			var id int64
			var slug string
			if err := ids.Scan(&id, &slug); err != nil {
				ids.Close()
				return nil, err
			}
			flags[i].OrgIDs = append(flags[i].OrgIDs, id)
			found[strings.ToLower(slug)] = true
		}
		ids.Close()
		if err := ids.Err(); err != nil {
			return nil, err
		}
		for _, slug := range flags[i].Orgs {
			if !found[slug] {
				flags[i].UnknownOrgs = append(flags[i].UnknownOrgs, slug)
			}
		}
	}
	return flags, nil
}

// SetFlag changes a flag and records the change, by whom, in one
// transaction; it returns the setting it replaced ("off" if none).
func (d *DB) SetFlag(ctx context.Context, f admit.Flag, by string) (old string, err error) {
	defer wrap(&err, "DB.SetFlag(%q)", f.Name)
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		// Lock the flag's row, creating it (off) if it was never set: at
		// READ COMMITTED a locking read of a missing row locks nothing, so
		// two first changes would both record "off" as what they replaced.
		if _, err := tx.ExecContext(ctx, `INSERT INTO feature_flags (name) VALUES (?) ON DUPLICATE KEY UPDATE name = name`, f.Name); err != nil {
			return err
		}
		prev := admit.Flag{Name: f.Name, Mode: admit.FlagOff}
		var orgs string
		err := tx.QueryRowContext(ctx, `SELECT mode, percent, orgs FROM feature_flags WHERE name = ? FOR UPDATE`, f.Name).
			Scan(&prev.Mode, &prev.Percent, &orgs)
		if err != nil {
			return err
		}
		if orgs != "" {
			prev.Orgs = strings.Split(orgs, ",")
		}
		old = prev.String()
		if _, err := tx.ExecContext(ctx, `INSERT INTO feature_flags (name, mode, percent, orgs) VALUES (?, ?, ?, ?)
			ON DUPLICATE KEY UPDATE mode = VALUES(mode), percent = VALUES(percent), orgs = VALUES(orgs)`,
			f.Name, f.Mode, f.Percent, strings.Join(f.Orgs, ",")); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO feature_flag_changes (name, old_setting, new_setting, changed_by) VALUES (?, ?, ?, ?)`,
			f.Name, old, f.String(), by)
		return err
	})
	return old, err
}

// FlagChanges returns the latest changes, newest first.
func (d *DB) FlagChanges(ctx context.Context, limit int) (changes []admit.FlagChange, err error) {
	defer wrap(&err, "DB.FlagChanges")
	rows, err := d.db.QueryContext(ctx, `SELECT name, old_setting, new_setting, changed_by, changed_at FROM feature_flag_changes ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c admit.FlagChange
		if err := rows.Scan(&c.Name, &c.Old, &c.New, &c.By, &c.At); err != nil {
			return nil, err
		}
		changes = append(changes, c)
	}
	return changes, rows.Err()
}

// LatestFlagChanges returns each flag's latest change, by flag name: who
// set it as it is, and when.
func (d *DB) LatestFlagChanges(ctx context.Context) (latest map[string]admit.FlagChange, err error) {
	defer wrap(&err, "DB.LatestFlagChanges")
	rows, err := d.db.QueryContext(ctx, `SELECT c.name, c.old_setting, c.new_setting, c.changed_by, c.changed_at
		FROM feature_flag_changes c JOIN (SELECT MAX(id) AS id FROM feature_flag_changes GROUP BY name) l ON l.id = c.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	latest = map[string]admit.FlagChange{}
	for rows.Next() {
		var c admit.FlagChange
		if err := rows.Scan(&c.Name, &c.Old, &c.New, &c.By, &c.At); err != nil {
			return nil, err
		}
		latest[c.Name] = c
	}
	return latest, rows.Err()
}
