-- +goose Up
-- One event (an outbox row of kind webhook.*) for one endpoint. The fan-out
-- writes one row per subscribed endpoint in one statement; the unique key
-- makes a repeated fan-out a no-op. payload is the signed body, fixed at
-- fan-out so every attempt sends the same bytes. The row is the retry
-- schedule (nothing waits in Redis for hours): a pending delivery is
-- attempted at next_attempt_at, when the dispatcher hands it to the queue
-- and records in enqueued_for when it did (it hands it over again if the
-- task is lost with Redis); lease_until is set while an attempt runs, so
-- two workers never run one attempt.
CREATE TABLE webhook_deliveries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  endpoint_id BIGINT UNSIGNED NOT NULL,
  outbox_id BIGINT UNSIGNED NOT NULL,
  message_id VARCHAR(64) NOT NULL,
  event_type VARCHAR(64) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  status ENUM('pending','succeeded','failed') NOT NULL DEFAULT 'pending',
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NULL,
  lease_until DATETIME(6) NULL,
  enqueued_for DATETIME(6) NULL,
  last_status INT NOT NULL DEFAULT 0,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY webhook_deliveries_outbox_endpoint (outbox_id, endpoint_id),
  KEY webhook_deliveries_endpoint (organization_id, endpoint_id, id),
  KEY webhook_deliveries_due (status, next_attempt_at),
  CONSTRAINT webhook_deliveries_endpoint_fk FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE webhook_deliveries;
