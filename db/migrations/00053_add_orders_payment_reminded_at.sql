-- +goose Up
-- When the reminder to pay an offline order was queued: set in the same
-- transaction as its outbox row, by a statement guarded on it being NULL,
-- so a reminder is queued once per order whatever runs the sweep.
ALTER TABLE orders ADD COLUMN payment_reminded_at DATETIME(6) NULL AFTER expires_at;

-- +goose Down
ALTER TABLE orders DROP COLUMN payment_reminded_at;
