-- +goose Up
-- expires_at is computed with MySQL's clock (NOW(6) + INTERVAL), never the
-- app server's, so skewed app clocks cannot stretch or cut a hold.
CREATE TABLE holds (
  id VARCHAR(32) NOT NULL,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  client_key VARCHAR(64) NOT NULL DEFAULT '',
  client_ip VARCHAR(45) NOT NULL DEFAULT '',
  status ENUM('active','converted','released') NOT NULL DEFAULT 'active',
  expires_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  released_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY holds_status_expires (status, expires_at),
  KEY holds_event_client (event_id, client_key, status),
  KEY holds_event_ip (event_id, client_ip, status),
  CONSTRAINT holds_event_fk FOREIGN KEY (event_id) REFERENCES events (id),
  CONSTRAINT holds_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE holds;
