-- +goose Up
-- A side effect (email, webhook, export) is a row written in the same
-- transaction as the change that causes it; the relay hands it to asynq with
-- the row id as the task id and records done_at when the handler succeeds.
CREATE TABLE outbox (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NULL,
  kind VARCHAR(64) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  enqueued_at DATETIME(6) NULL,
  done_at DATETIME(6) NULL,
  attempts INT NOT NULL DEFAULT 0,
  last_error VARCHAR(1000) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY outbox_pending (done_at, enqueued_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE outbox;
