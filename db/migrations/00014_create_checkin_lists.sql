-- +goose Up
-- A check-in list is one door (or day, or area) of an event: it admits the
-- ticket types chosen for it, and a ticket is checked in on each list once.
-- Deleting an event (possible only while it has no orders, so no check-ins)
-- deletes its lists.
CREATE TABLE checkin_lists (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY checkin_lists_event_name (event_id, name),
  KEY checkin_lists_organization_event (organization_id, event_id),
  CONSTRAINT checkin_lists_event_fk FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
  CONSTRAINT checkin_lists_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE checkin_lists;
