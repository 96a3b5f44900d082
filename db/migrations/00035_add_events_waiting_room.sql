-- +goose Up
-- A waiting room for an on-sale: visitors queue from waiting_room_opens_at
-- (or whenever it is on) and are let through at waiting_room_rate per
-- minute, in the order of their place.
ALTER TABLE events ADD COLUMN waiting_room BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN waiting_room_opens_at DATETIME(6) NULL,
  ADD COLUMN waiting_room_rate INT NOT NULL DEFAULT 600;

-- +goose Down
ALTER TABLE events DROP COLUMN waiting_room, DROP COLUMN waiting_room_opens_at, DROP COLUMN waiting_room_rate;
