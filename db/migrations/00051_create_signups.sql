-- +goose Up
-- A sign-up waiting for its email link. The organization and the account
-- are created only when the link is followed, so signing up never tells
-- anyone whether an address has an account, and nobody can claim an
-- address they do not read. Only the SHA-256 of the link's token is
-- stored; expires_at is set from MySQL's clock and used_at makes the link
-- work once.
CREATE TABLE signups (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  token_hash BINARY(32) NOT NULL,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL,
  org_name VARCHAR(200) NOT NULL,
  org_slug VARCHAR(64) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at DATETIME(6) NOT NULL,
  used_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY signups_token (token_hash),
  KEY signups_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE signups;
