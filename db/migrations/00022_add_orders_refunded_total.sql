-- +goose Up
ALTER TABLE orders ADD COLUMN refunded_total BIGINT NOT NULL DEFAULT 0 AFTER total;

-- +goose Down
ALTER TABLE orders DROP COLUMN refunded_total;
