-- +goose Up
-- One row per check-in of a ticket on a list; an undo keeps the row and sets
-- undone_at, so the door's history survives. active_ticket is the ticket id
-- while the check-in is in force and NULL once undone: the unique key on
-- (list_id, active_ticket) lets a ticket be checked in on a list at most once
-- at a time, however many staff scan it at the same instant, while undone
-- rows (NULLs) never collide. The same key finds a ticket's active check-in.
-- list_id restricts deletes: a list with check-ins is removed only by
-- deleting its check-ins first, on purpose.
CREATE TABLE checkins (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  list_id BIGINT UNSIGNED NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  checked_in_by BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  undone_at DATETIME(6) NULL,
  undone_by BIGINT UNSIGNED NULL,
  active_ticket BIGINT UNSIGNED AS (IF(undone_at IS NULL, ticket_id, NULL)) PERSISTENT,
  PRIMARY KEY (id),
  UNIQUE KEY checkins_list_active_ticket (list_id, active_ticket),
  KEY checkins_ticket (ticket_id),
  KEY checkins_organization_list_created (organization_id, list_id, created_at),
  CONSTRAINT checkins_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id),
  CONSTRAINT checkins_list_fk FOREIGN KEY (list_id) REFERENCES checkin_lists (id),
  CONSTRAINT checkins_ticket_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id),
  CONSTRAINT checkins_checked_in_by_fk FOREIGN KEY (checked_in_by) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT checkins_undone_by_fk FOREIGN KEY (undone_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE checkins;
