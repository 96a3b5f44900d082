-- +goose Up
-- The ticket types a question is asked for (none: all).
CREATE TABLE question_ticket_types (
  question_id BIGINT UNSIGNED NOT NULL,
  ticket_type_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (question_id, ticket_type_id),
  CONSTRAINT qtt_question_fk FOREIGN KEY (question_id) REFERENCES questions (id) ON DELETE CASCADE,
  CONSTRAINT qtt_ticket_type_fk FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE question_ticket_types;
