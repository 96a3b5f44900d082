-- +goose Up
-- An unfinished idempotency key names the app server running its first
-- request; each serving app server keeps a row here alive every second.
-- A repeat takes the key over as soon as its holder's row has lapsed
-- (the server died with the request), instead of answering 409 for the
-- 30 s after which no answer could reach the client anyway.
ALTER TABLE idempotency_keys ADD COLUMN holder VARCHAR(64) NULL AFTER response_body;
CREATE TABLE app_instances (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  alive_until DATETIME(6) NOT NULL,
  started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE app_instances;
ALTER TABLE idempotency_keys DROP COLUMN holder;
