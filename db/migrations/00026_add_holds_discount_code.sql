-- +goose Up
ALTER TABLE holds ADD COLUMN discount_code_id BIGINT UNSIGNED NULL AFTER client_ip;

-- +goose Down
ALTER TABLE holds DROP COLUMN discount_code_id;
