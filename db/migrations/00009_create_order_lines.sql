-- +goose Up
-- No foreign key to ticket_types: InnoDB would take a shared lock on the
-- ticket type's row for every insert here, and that row is the one every
-- concurrent checkout updates. Ticket types are never deleted.
CREATE TABLE order_lines (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id BIGINT UNSIGNED NOT NULL,
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  quantity INT NOT NULL,
  unit_price BIGINT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY order_lines_order_type (order_id, ticket_type_id),
  KEY order_lines_ticket_type (ticket_type_id),
  CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT order_lines_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE order_lines;
