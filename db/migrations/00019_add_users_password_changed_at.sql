-- +goose Up
-- Sessions started before this moment are refused: changing or resetting a
-- password logs out every other browser. It is written from the app
-- servers' clock because session start times are, so both sides of the
-- comparison come from the same kind of clock.
ALTER TABLE users ADD COLUMN password_changed_at DATETIME(6) NULL AFTER password_hash;

-- +goose Down
ALTER TABLE users DROP COLUMN password_changed_at;
