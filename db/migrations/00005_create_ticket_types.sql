-- +goose Up
-- reserved counts held-but-unpaid tickets, sold counts tickets of paid (and
-- pending offline) orders. The CHECK is the last line of defence behind the
-- guarded UPDATEs: no statement can make a ticket type oversold.
CREATE TABLE ticket_types (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  description TEXT NOT NULL,
  price BIGINT NOT NULL DEFAULT 0,
  quantity INT NOT NULL,
  reserved INT NOT NULL DEFAULT 0,
  sold INT NOT NULL DEFAULT 0,
  sales_start DATETIME(6) NULL,
  sales_end DATETIME(6) NULL,
  min_per_order INT NOT NULL DEFAULT 1,
  max_per_order INT NOT NULL DEFAULT 10,
  position INT NOT NULL DEFAULT 0,
  hidden BOOLEAN NOT NULL DEFAULT FALSE,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ticket_types_event (event_id, position),
  KEY ticket_types_organization (organization_id),
  CONSTRAINT ticket_types_event_fk FOREIGN KEY (event_id) REFERENCES events (id),
  CONSTRAINT ticket_types_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id),
  CONSTRAINT ticket_types_capacity CHECK (reserved >= 0 AND sold >= 0 AND reserved + sold <= quantity),
  CONSTRAINT ticket_types_price CHECK (price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE ticket_types;
