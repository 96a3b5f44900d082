-- +goose Up
-- No foreign key to ticket_types: InnoDB would take a shared lock on the
-- ticket type's row for every insert here, and that row is the one every
-- concurrent checkout updates. Ticket types are never deleted.
CREATE TABLE hold_items (
  hold_id VARCHAR(32) NOT NULL,
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  quantity INT NOT NULL,
  PRIMARY KEY (hold_id, ticket_type_id),
  KEY hold_items_ticket_type (ticket_type_id),
  CONSTRAINT hold_items_hold_fk FOREIGN KEY (hold_id) REFERENCES holds (id) ON DELETE CASCADE,
  CONSTRAINT hold_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE hold_items;
