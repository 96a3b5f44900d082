-- +goose Up
-- People waiting for a sold-out ticket type. An offer is a hold created for
-- the person (capacity taken like any hold) with a longer expiry; when it
-- expires, the sweeper returns the capacity like any other hold.
CREATE TABLE waitlist_entries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  email VARCHAR(254) NOT NULL,
  quantity INT NOT NULL DEFAULT 1,
  hold_id VARCHAR(32) NULL,
  offered_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY waitlist_entries_type_email (ticket_type_id, email),
  KEY waitlist_entries_event (organization_id, event_id, id),
  CONSTRAINT waitlist_entries_ticket_type_fk FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id),
  CONSTRAINT waitlist_entries_hold_fk FOREIGN KEY (hold_id) REFERENCES holds (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE waitlist_entries;
