-- +goose Up
-- A scan made at the door while offline, recorded when the phone syncs it.
-- scan_id is the phone's own id for the scan: the unique key on
-- (list_id, scan_id) makes a sync idempotent per scan (a phone that syncs
-- again, or two phones that sync the same queue, get the first answer back
-- and make no second check-in). outcome is what the scan came to on the
-- server; checkin_id the check-in it made, if any.
CREATE TABLE checkin_scans (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  list_id BIGINT UNSIGNED NOT NULL,
  scan_id VARCHAR(64) NOT NULL,
  code VARCHAR(200) NOT NULL,
  scanned_at DATETIME(6) NULL,
  outcome VARCHAR(32) NOT NULL,
  ticket_id BIGINT UNSIGNED NULL,
  checkin_id BIGINT UNSIGNED NULL,
  synced_by BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY checkin_scans_list_scan (list_id, scan_id),
  KEY checkin_scans_organization_list (organization_id, list_id),
  CONSTRAINT checkin_scans_list_fk FOREIGN KEY (list_id) REFERENCES checkin_lists (id) ON DELETE CASCADE,
  CONSTRAINT checkin_scans_checkin_fk FOREIGN KEY (checkin_id) REFERENCES checkins (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE checkin_scans;
