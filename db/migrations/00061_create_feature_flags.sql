-- +goose Up
-- Feature flags: a feature's rollout to organizers, read by every process
-- (cached a few seconds) and changed live by admit flags set. A flag with
-- no row is off.
CREATE TABLE feature_flags (
  name VARCHAR(100) NOT NULL,
  mode ENUM('off','all','percent','orgs') NOT NULL DEFAULT 'off',
  percent TINYINT UNSIGNED NOT NULL DEFAULT 0,
  orgs VARCHAR(2000) NOT NULL DEFAULT '',
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (name),
  CONSTRAINT feature_flags_percent CHECK (percent <= 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE feature_flags;
