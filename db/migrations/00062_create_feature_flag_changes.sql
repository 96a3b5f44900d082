-- +goose Up
-- The audit of flag changes: who set which flag from what to what, and
-- when. Flags span organizations, so they are not in the organizations'
-- own audit_log.
CREATE TABLE feature_flag_changes (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  old_setting VARCHAR(2000) NOT NULL,
  new_setting VARCHAR(2000) NOT NULL,
  changed_by VARCHAR(254) NOT NULL,
  changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY feature_flag_changes_name (name, changed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE feature_flag_changes;
