-- +goose Up
-- No foreign key to ticket_types: InnoDB would take a shared lock on the
-- ticket type's row for every insert here, and that row is the one every
-- concurrent checkout updates. Ticket types are never deleted.
CREATE TABLE tickets (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  order_id BIGINT UNSIGNED NOT NULL,
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  code VARCHAR(32) NOT NULL,
  attendee_name VARCHAR(200) NOT NULL DEFAULT '',
  attendee_email VARCHAR(254) NOT NULL DEFAULT '',
  -- pending until the order is paid; only valid tickets admit anyone.
  status ENUM('pending','valid','void') NOT NULL DEFAULT 'pending',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY tickets_code (code),
  KEY tickets_order (order_id),
  KEY tickets_organization_updated (organization_id, updated_at),
  CONSTRAINT tickets_order_fk FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE tickets;
