-- +goose Up
-- An export of an event's orders, attendees or check-ins, requested from the
-- console and built by the worker (outbox kind export.build). status moves
-- queued -> running -> done, or to failed (and back to running on a retry);
-- each claim increments attempt, and a worker writes only while the attempt
-- is its own, so a worker that was presumed dead cannot overwrite a newer
-- attempt. updated_at is the builder's heartbeat: a running export whose
-- heartbeat stopped may be taken over. expires_at is when the download link
-- stops working (set when the file is stored).
CREATE TABLE exports (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  kind ENUM('orders','attendees','checkins') NOT NULL,
  format ENUM('csv','xlsx') NOT NULL,
  status ENUM('queued','running','done','failed') NOT NULL DEFAULT 'queued',
  attempt INT NOT NULL DEFAULT 0,
  rows_written INT NOT NULL DEFAULT 0,
  file_key VARCHAR(255) NOT NULL DEFAULT '',
  file_name VARCHAR(255) NOT NULL DEFAULT '',
  size_bytes BIGINT NOT NULL DEFAULT 0,
  error VARCHAR(1000) NOT NULL DEFAULT '',
  requested_by BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  started_at DATETIME(6) NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at DATETIME(6) NULL,
  expires_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY exports_organization (organization_id, id),
  KEY exports_event (event_id),
  CONSTRAINT exports_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id),
  CONSTRAINT exports_event_fk FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
  CONSTRAINT exports_requested_by_fk FOREIGN KEY (requested_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE exports;
