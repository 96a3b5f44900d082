-- +goose Up
-- Questions asked per ticket at checkout. options holds one choice per line
-- for kind 'choice'.
CREATE TABLE questions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  label VARCHAR(300) NOT NULL,
  kind ENUM('text','choice','checkbox') NOT NULL,
  options TEXT NOT NULL,
  required BOOLEAN NOT NULL DEFAULT FALSE,
  position INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY questions_event (event_id, position),
  KEY questions_organization (organization_id),
  CONSTRAINT questions_event_fk FOREIGN KEY (event_id) REFERENCES events (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE questions;
