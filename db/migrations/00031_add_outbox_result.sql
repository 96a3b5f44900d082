-- +goose Up
-- What performing the side effect produced: the SES message id of an email,
-- the provider's id of a refund. Recorded with done_at in one statement.
ALTER TABLE outbox ADD COLUMN result VARCHAR(255) NOT NULL DEFAULT '' AFTER done_at;

-- +goose Down
ALTER TABLE outbox DROP COLUMN result;
