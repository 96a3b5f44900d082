-- +goose Up
-- value is basis points of the price for kind 'percent' (2500 = 25%) and
-- minor units off each ticket for kind 'fixed'. used counts orders that
-- took the code; it is taken with a guarded UPDATE like inventory.
CREATE TABLE discount_codes (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  code VARCHAR(64) NOT NULL,
  kind ENUM('percent','fixed') NOT NULL,
  value BIGINT NOT NULL,
  max_uses INT NULL,
  used INT NOT NULL DEFAULT 0,
  valid_from DATETIME(6) NULL,
  valid_until DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY discount_codes_event_code (event_id, code),
  KEY discount_codes_organization (organization_id),
  CONSTRAINT discount_codes_event_fk FOREIGN KEY (event_id) REFERENCES events (id),
  CONSTRAINT discount_codes_uses CHECK (used >= 0 AND (max_uses IS NULL OR used <= max_uses)),
  CONSTRAINT discount_codes_value CHECK (value >= 0 AND (kind <> 'percent' OR value <= 10000))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE discount_codes;
