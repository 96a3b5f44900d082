-- +goose Up
-- The ticket types a code applies to (none: all) and, for hidden types,
-- unlocks.
CREATE TABLE discount_code_ticket_types (
  discount_code_id BIGINT UNSIGNED NOT NULL,
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (discount_code_id, ticket_type_id),
  CONSTRAINT dctt_code_fk FOREIGN KEY (discount_code_id) REFERENCES discount_codes (id) ON DELETE CASCADE,
  CONSTRAINT dctt_ticket_type_fk FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE discount_code_ticket_types;
