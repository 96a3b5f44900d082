-- +goose Up
-- One Ed25519 key per event signs what its tickets' QR codes carry, so the
-- door's phone can tell a real ticket from a forged one without the server
-- (offline check-in). Storage creates an event's key the first time it is
-- needed: events made before this table sign their tickets from then on,
-- and bare codes printed earlier keep checking in online.
CREATE TABLE event_signing_keys (
  event_id BIGINT UNSIGNED NOT NULL,
  organization_id BIGINT UNSIGNED NOT NULL,
  private_key VARBINARY(64) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (event_id),
  KEY event_signing_keys_organization (organization_id, event_id),
  CONSTRAINT event_signing_keys_event_fk FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every event gets a check-in list at creation ("Main entrance", admitting
-- every ticket type); events made before then get theirs here, if they have
-- none. Both statements only add what is missing, so running them again
-- changes nothing.
INSERT INTO checkin_lists (organization_id, event_id, name)
SELECT e.organization_id, e.id, 'Main entrance' FROM events e
WHERE NOT EXISTS (SELECT 1 FROM checkin_lists l WHERE l.event_id = e.id);

INSERT IGNORE INTO checkin_list_ticket_types (list_id, ticket_type_id)
SELECT l.id, tt.id FROM checkin_lists l JOIN ticket_types tt ON tt.event_id = l.event_id AND tt.organization_id = l.organization_id
WHERE l.name = 'Main entrance' AND NOT EXISTS (SELECT 1 FROM checkin_list_ticket_types lt WHERE lt.list_id = l.id);

-- +goose Down
DROP TABLE event_signing_keys;
