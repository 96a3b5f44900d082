-- +goose Up
CREATE TABLE answers (
  ticket_id BIGINT UNSIGNED NOT NULL,
  question_id BIGINT UNSIGNED NOT NULL,
  organization_id BIGINT UNSIGNED NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (ticket_id, question_id),
  KEY answers_question (question_id),
  CONSTRAINT answers_ticket_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id),
  CONSTRAINT answers_question_fk FOREIGN KEY (question_id) REFERENCES questions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE answers;
