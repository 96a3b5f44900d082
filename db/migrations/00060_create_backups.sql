-- +goose Up
-- What admit backup has stored in S3: full physical backups and shipped
-- binary logs. S3 holds the manifests a restore reads (this table is in the
-- database being restored, so a restore cannot depend on it); the table is
-- what the Operations page and /metrics read for the last good backup.
CREATE TABLE backups (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind ENUM('full','binlog') NOT NULL,
  object_key VARCHAR(255) NOT NULL,
  size_bytes BIGINT NOT NULL DEFAULT 0,
  source VARCHAR(255) NOT NULL DEFAULT '',
  binlog_file VARCHAR(255) NOT NULL DEFAULT '',
  binlog_pos BIGINT UNSIGNED NOT NULL DEFAULT 0,
  started_at DATETIME(6) NOT NULL,
  finished_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY backups_object (object_key),
  KEY backups_kind_finished (kind, finished_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE backups;
