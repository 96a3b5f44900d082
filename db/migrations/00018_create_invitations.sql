-- +goose Up
-- An invitation to join an organization with a role. Only the SHA-256 of
-- its token is stored; it is pending while accepted_at and revoked_at are
-- NULL and expires_at (MySQL's clock) is in the future.
CREATE TABLE invitations (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  email VARCHAR(254) NOT NULL,
  role ENUM('owner','admin','checkin') NOT NULL,
  token_hash BINARY(32) NOT NULL,
  invited_by BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at DATETIME(6) NOT NULL,
  accepted_at DATETIME(6) NULL,
  accepted_by BIGINT UNSIGNED NULL,
  revoked_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY invitations_token (token_hash),
  KEY invitations_organization_email (organization_id, email),
  CONSTRAINT invitations_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT invitations_invited_by_fk FOREIGN KEY (invited_by) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT invitations_accepted_by_fk FOREIGN KEY (accepted_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE invitations;
