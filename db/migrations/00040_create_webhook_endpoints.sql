-- +goose Up
-- An organization's webhook receivers. event_types is the comma-separated
-- list of event types the endpoint wants (FIND_IN_SET). The secret signs
-- every delivery; after a rotation the previous secret keeps signing too
-- until previous_secret_expires_at, so receivers can switch without losing
-- a delivery. failure_notified_at limits the "deliveries are failing" email
-- to one a day per endpoint.
CREATE TABLE webhook_endpoints (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  url VARCHAR(2000) NOT NULL,
  description VARCHAR(200) NOT NULL DEFAULT '',
  event_types VARCHAR(1000) NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  disabled_reason VARCHAR(255) NOT NULL DEFAULT '',
  secret VARCHAR(100) NOT NULL,
  previous_secret VARCHAR(100) NOT NULL DEFAULT '',
  previous_secret_expires_at DATETIME(6) NULL,
  failure_notified_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY webhook_endpoints_organization (organization_id, id),
  CONSTRAINT webhook_endpoints_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE webhook_endpoints;
