-- +goose Up
-- One order per hold (UNIQUE hold_id): a double-submitted checkout can never
-- produce two orders for the same tickets.
CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  hold_id VARCHAR(32) NULL,
  reference VARCHAR(16) NOT NULL,
  access_token VARCHAR(64) NOT NULL,
  status ENUM('pending','paid','cancelled','refunded') NOT NULL DEFAULT 'pending',
  buyer_name VARCHAR(200) NOT NULL,
  buyer_email VARCHAR(254) NOT NULL,
  total BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  payment_provider VARCHAR(32) NOT NULL DEFAULT '',
  payment_ref VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  paid_at DATETIME(6) NULL,
  -- A pending order whose payment has not arrived by expires_at is cancelled
  -- and its tickets return to sale; NULL never expires (offline payment).
  expires_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY orders_reference (reference),
  UNIQUE KEY orders_hold (hold_id),
  KEY orders_organization_event (organization_id, event_id, created_at),
  KEY orders_buyer_email (organization_id, buyer_email),
  KEY orders_status_expires (status, expires_at),
  CONSTRAINT orders_event_fk FOREIGN KEY (event_id) REFERENCES events (id),
  CONSTRAINT orders_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id),
  CONSTRAINT orders_hold_fk FOREIGN KEY (hold_id) REFERENCES holds (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE orders;
