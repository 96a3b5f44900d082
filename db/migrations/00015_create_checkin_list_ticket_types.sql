-- +goose Up
-- The ticket types a check-in list admits. Storage only ever links types of
-- the list's own event and organization; deleting a ticket type (possible
-- only while it has no tickets) takes it off its lists.
CREATE TABLE checkin_list_ticket_types (
  list_id BIGINT UNSIGNED NOT NULL,
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (list_id, ticket_type_id),
  KEY checkin_list_ticket_types_ticket_type (ticket_type_id),
  CONSTRAINT checkin_list_ticket_types_list_fk FOREIGN KEY (list_id) REFERENCES checkin_lists (id) ON DELETE CASCADE,
  CONSTRAINT checkin_list_ticket_types_ticket_type_fk FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE checkin_list_ticket_types;
