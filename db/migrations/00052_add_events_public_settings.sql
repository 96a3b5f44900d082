-- +goose Up
-- What an organizer shows on the public pages beyond the event itself (a
-- banner, the terms a buyer must accept) and tells buyers who pay offline:
-- whom to pay, the account, free text, and the days they have to pay, after
-- which an unpaid order expires (0: it waits until the organizer cancels).
ALTER TABLE events
  ADD COLUMN banner_url VARCHAR(500) NOT NULL DEFAULT '',
  ADD COLUMN terms_url VARCHAR(500) NOT NULL DEFAULT '',
  ADD COLUMN payment_payee VARCHAR(200) NOT NULL DEFAULT '',
  ADD COLUMN payment_iban VARCHAR(34) NOT NULL DEFAULT '',
  ADD COLUMN payment_bic VARCHAR(11) NOT NULL DEFAULT '',
  ADD COLUMN payment_text VARCHAR(2000) NOT NULL DEFAULT '',
  ADD COLUMN payment_due_days INT UNSIGNED NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE events
  DROP COLUMN banner_url, DROP COLUMN terms_url, DROP COLUMN payment_payee, DROP COLUMN payment_iban,
  DROP COLUMN payment_bic, DROP COLUMN payment_text, DROP COLUMN payment_due_days;
