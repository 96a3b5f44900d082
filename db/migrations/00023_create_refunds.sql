-- +goose Up
-- One row per refund the organizer makes. The money moves through the
-- payment provider as a side effect (an outbox row); provider_ref records
-- the provider's refund id once it is done.
CREATE TABLE refunds (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  order_id BIGINT UNSIGNED NOT NULL,
  amount BIGINT NOT NULL,
  tickets INT NOT NULL,
  provider VARCHAR(32) NOT NULL DEFAULT '',
  provider_ref VARCHAR(255) NOT NULL DEFAULT '',
  created_by BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY refunds_order (order_id),
  CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT refunds_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE refunds;
