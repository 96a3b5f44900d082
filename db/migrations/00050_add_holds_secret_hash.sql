-- +goose Up
-- A hold answers only to the client that made it: an API client proves it
-- with the secret returned when the hold was created (its SHA-256 is kept),
-- the pages with the buyer cookie (client_key).
ALTER TABLE holds ADD COLUMN secret_hash BINARY(32) NULL AFTER client_ip;

-- +goose Down
ALTER TABLE holds DROP COLUMN secret_hash;
