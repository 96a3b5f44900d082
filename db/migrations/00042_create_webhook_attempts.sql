-- +goose Up
-- The delivery log: one row per HTTP attempt of a delivery, scheduled or
-- asked for from the console (manual). response_status is 0 when no
-- response arrived (refused connection, timeout, forbidden address); error
-- says why. response_body keeps the first kilobyte of what the receiver
-- answered.
CREATE TABLE webhook_attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  delivery_id BIGINT UNSIGNED NOT NULL,
  manual BOOLEAN NOT NULL DEFAULT FALSE,
  started_at DATETIME(6) NOT NULL,
  duration_ms INT NOT NULL,
  response_status INT NOT NULL DEFAULT 0,
  response_body VARBINARY(1024) NOT NULL DEFAULT '',
  error VARCHAR(500) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY webhook_attempts_delivery (delivery_id, id),
  CONSTRAINT webhook_attempts_delivery_fk FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE webhook_attempts;
