package admit

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// WebhookEndpoint receives the organization's events.
type WebhookEndpoint struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
	Enabled     bool     `json:"enabled"`
	// DisabledReason says why the server disabled the endpoint (it
	// answered 410 Gone); nil when enabled or disabled by the organizer.
	DisabledReason *string `json:"disabled_reason"`
	// Secret signs the deliveries; only the answer to Create holds it.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WebhookDelivery is one event sent, or to be sent, to one endpoint.
type WebhookDelivery struct {
	ID         int64  `json:"id"`
	EndpointID int64  `json:"endpoint_id"`
	MessageID  string `json:"message_id"`
	EventType  string `json:"event_type"`
	// Status is "pending", "succeeded" or "failed".
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastStatus    *int       `json:"last_status"`
	LastError     *string    `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at"`
}

// WebhookEndpointCreateParams add an endpoint.
type WebhookEndpointCreateParams struct {
	URL         string   `json:"url"`
	Description string   `json:"description,omitempty"`
	EventTypes  []string `json:"event_types"`
}

// WebhookEndpointUpdateParams change an endpoint: nil fields stay.
type WebhookEndpointUpdateParams struct {
	URL         *string   `json:"url,omitempty"`
	Description *string   `json:"description,omitempty"`
	EventTypes  *[]string `json:"event_types,omitempty"`
	Enabled     *bool     `json:"enabled,omitempty"`
}

// WebhookEndpointsService manages webhook endpoints and their delivery log.
type WebhookEndpointsService struct{ c *Client }

// WebhookEndpoints returns the service for webhook endpoints.
func (c *Client) WebhookEndpoints() *WebhookEndpointsService { return &WebhookEndpointsService{c} }

// List returns one page of the organization's endpoints.
func (s *WebhookEndpointsService) List(ctx context.Context, p ListParams) (*Page[WebhookEndpoint], error) {
	return list[WebhookEndpoint](ctx, s.c, "/webhook-endpoints", p.values())
}

// All iterates over every endpoint.
func (s *WebhookEndpointsService) All(ctx context.Context, p ListParams) iter.Seq2[WebhookEndpoint, error] {
	return all(ctx, p, s.List)
}

// Create adds an enabled endpoint; the answer holds its signing secret,
// which no later answer shows.
func (s *WebhookEndpointsService) Create(ctx context.Context, p WebhookEndpointCreateParams, opts ...RequestOption) (*WebhookEndpoint, error) {
	return call[WebhookEndpoint](ctx, s.c, http.MethodPost, "/webhook-endpoints", nil, p, opts)
}

// Get returns the endpoint id.
func (s *WebhookEndpointsService) Get(ctx context.Context, id int64) (*WebhookEndpoint, error) {
	path, err := idPath("/webhook-endpoints/%d", id)
	if err != nil {
		return nil, err
	}
	return call[WebhookEndpoint](ctx, s.c, http.MethodGet, path, nil, nil, nil)
}

// Update changes the endpoint id.
func (s *WebhookEndpointsService) Update(ctx context.Context, id int64, p WebhookEndpointUpdateParams, opts ...RequestOption) (*WebhookEndpoint, error) {
	path, err := idPath("/webhook-endpoints/%d", id)
	if err != nil {
		return nil, err
	}
	return call[WebhookEndpoint](ctx, s.c, http.MethodPatch, path, nil, p, opts)
}

// Delete removes the endpoint id and its delivery log.
func (s *WebhookEndpointsService) Delete(ctx context.Context, id int64, opts ...RequestOption) error {
	path, err := idPath("/webhook-endpoints/%d", id)
	if err != nil {
		return err
	}
	return s.c.do(ctx, http.MethodDelete, path, nil, nil, nil, opts)
}

// Deliveries returns one page of the endpoint's delivery log, newest first.
func (s *WebhookEndpointsService) Deliveries(ctx context.Context, endpointID int64, p ListParams) (*Page[WebhookDelivery], error) {
	path, err := idPath("/webhook-endpoints/%d/deliveries", endpointID)
	if err != nil {
		return nil, err
	}
	return list[WebhookDelivery](ctx, s.c, path, p.values())
}

// AllDeliveries iterates over the endpoint's whole delivery log.
func (s *WebhookEndpointsService) AllDeliveries(ctx context.Context, endpointID int64, p ListParams) iter.Seq2[WebhookDelivery, error] {
	return all(ctx, p, func(ctx context.Context, p ListParams) (*Page[WebhookDelivery], error) {
		return s.Deliveries(ctx, endpointID, p)
	})
}

// Redeliver has the server send the delivery once more, with the same
// webhook-id. A disabled endpoint is an *Error with status 409.
func (s *WebhookEndpointsService) Redeliver(ctx context.Context, endpointID, deliveryID int64, opts ...RequestOption) (*WebhookDelivery, error) {
	path, err := idPath("/webhook-endpoints/%d/deliveries/%d/redeliver", endpointID, deliveryID)
	if err != nil {
		return nil, err
	}
	return call[WebhookDelivery](ctx, s.c, http.MethodPost, path, nil, struct{}{}, opts)
}
