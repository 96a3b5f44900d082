-- +goose Up
-- The first response to a request with an Idempotency-Key is stored and
-- replayed for repeats. A row with response_status NULL is a request still
-- running: a repeat then gets 409.
CREATE TABLE idempotency_keys (
  organization_id BIGINT UNSIGNED NOT NULL,
  scope VARCHAR(64) NOT NULL,
  idempotency_key VARCHAR(255) NOT NULL,
  request_hash BINARY(32) NOT NULL,
  response_status INT NULL,
  response_body MEDIUMBLOB NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (organization_id, scope, idempotency_key),
  KEY idempotency_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE idempotency_keys;
