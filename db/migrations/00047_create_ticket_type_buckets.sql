-- A ticket type's capacity is split over several rows, its buckets, so that
-- concurrent holds of one hot ticket type spread over several row locks
-- instead of queueing for one. Each bucket is guarded on its own
-- (reserved + sold <= quantity) and the buckets' quantities add up to the
-- ticket type's quantity, so the sum can never be oversold either. Holds and
-- order lines remember the bucket they took from, so releases, sales and
-- refunds return capacity to the row that gave it.
--
-- This moves the ledger: a version from before it must not run beside one
-- from after it (stop the old servers, migrate, start the new ones).

-- +goose Up
CREATE TABLE ticket_type_buckets (
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  bucket SMALLINT UNSIGNED NOT NULL,
  organization_id BIGINT UNSIGNED NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  quantity INT NOT NULL,
  reserved INT NOT NULL DEFAULT 0,
  sold INT NOT NULL DEFAULT 0,
  PRIMARY KEY (ticket_type_id, bucket),
  CONSTRAINT ticket_type_buckets_type_fk FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id) ON DELETE CASCADE,
  CONSTRAINT ticket_type_buckets_capacity CHECK (reserved >= 0 AND sold >= 0 AND reserved + sold <= quantity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO ticket_type_buckets (ticket_type_id, bucket, organization_id, event_id, quantity, reserved, sold)
  SELECT id, 0, organization_id, event_id, quantity, reserved, sold FROM ticket_types;

ALTER TABLE hold_items ADD COLUMN bucket SMALLINT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN bucket SMALLINT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE ticket_types DROP CONSTRAINT ticket_types_capacity;
ALTER TABLE ticket_types DROP COLUMN reserved, DROP COLUMN sold;

-- +goose Down
ALTER TABLE ticket_types ADD COLUMN reserved INT NOT NULL DEFAULT 0 AFTER quantity,
  ADD COLUMN sold INT NOT NULL DEFAULT 0 AFTER reserved;
UPDATE ticket_types tt JOIN (SELECT ticket_type_id, SUM(reserved) r, SUM(sold) s FROM ticket_type_buckets GROUP BY ticket_type_id) b
  ON b.ticket_type_id = tt.id SET tt.reserved = b.r, tt.sold = b.s;
ALTER TABLE ticket_types ADD CONSTRAINT ticket_types_capacity CHECK (reserved >= 0 AND sold >= 0 AND reserved + sold <= quantity);
ALTER TABLE order_lines DROP COLUMN bucket;
ALTER TABLE hold_items DROP COLUMN bucket;
DROP TABLE ticket_type_buckets;
