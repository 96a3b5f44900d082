-- +goose Up
-- order_lines.unit_price is the price charged (after discount);
-- discount_total is what the code took off the order.
ALTER TABLE orders ADD COLUMN discount_code_id BIGINT UNSIGNED NULL AFTER refunded_total,
  ADD COLUMN discount_total BIGINT NOT NULL DEFAULT 0 AFTER discount_code_id;

-- +goose Down
ALTER TABLE orders DROP COLUMN discount_code_id, DROP COLUMN discount_total;
