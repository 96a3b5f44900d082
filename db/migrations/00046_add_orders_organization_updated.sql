-- +goose Up
-- The API's changed_since filter on orders reads the organization's orders
-- changed after a moment, for integrations that sync incrementally.
ALTER TABLE orders ADD KEY orders_organization_updated (organization_id, updated_at);

-- +goose Down
ALTER TABLE orders DROP KEY orders_organization_updated;
