-- +goose Up
-- An API token lets an integration act for one organization with the scopes
-- it was given (read, write, checkin). Only the SHA-256 of the secret is
-- stored: a copy of the database does not hand out working tokens. prefix
-- is the start of the secret, shown in the console so organizers can tell
-- their tokens apart. A revoked token keeps its row for the audit trail and
-- stops working on the next request: tokens are looked up on every request.
CREATE TABLE api_tokens (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  organization_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  token_hash BINARY(32) NOT NULL,
  prefix VARCHAR(16) NOT NULL,
  scopes VARCHAR(64) NOT NULL,
  created_by BIGINT UNSIGNED NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_used_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  revoked_by BIGINT UNSIGNED NULL,
  PRIMARY KEY (id),
  UNIQUE KEY api_tokens_hash (token_hash),
  KEY api_tokens_organization (organization_id, id),
  CONSTRAINT api_tokens_organization_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT api_tokens_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT api_tokens_revoked_by_fk FOREIGN KEY (revoked_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE api_tokens;
