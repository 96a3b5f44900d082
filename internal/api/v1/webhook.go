package v1

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/webhook"
	"github.com/admithq/admit/internal/wire"
)

// v1WebhookStore is what the webhook endpoint routes need from storage.
type v1WebhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e *admit.WebhookEndpoint) error
	UpdateWebhookEndpoint(ctx context.Context, e *admit.WebhookEndpoint) error
	DeleteWebhookEndpoint(ctx context.Context, orgID, id int64) error
	FindWebhookEndpoint(ctx context.Context, orgID, id int64) (*admit.WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context, orgID int64) ([]*admit.WebhookEndpoint, error)
	ListWebhookDeliveries(ctx context.Context, orgID, endpointID, before int64, limit int) ([]*admit.WebhookDelivery, error)
	FindWebhookDelivery(ctx context.Context, orgID, endpointID, id int64) (*admit.WebhookDelivery, *admit.WebhookEndpoint, error)
	QueueWebhookRedelivery(ctx context.Context, orgID, endpointID, deliveryID int64) error
}

// v1WebhookEndpoint is an endpoint; its signing secret appears only in the
// answer to its creation.
type v1WebhookEndpoint struct {
	ID             int64     `json:"id"`
	URL            string    `json:"url"`
	Description    string    `json:"description"`
	EventTypes     []string  `json:"event_types"`
	Enabled        bool      `json:"enabled"`
	DisabledReason *string   `json:"disabled_reason"`
	Secret         string    `json:"secret,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func newV1WebhookEndpoint(e *admit.WebhookEndpoint) v1WebhookEndpoint {
	out := v1WebhookEndpoint{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: append([]string{}, e.EventTypes...),
		Enabled: e.Enabled, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
	if e.DisabledReason != "" {
		reason := e.DisabledReason
		out.DisabledReason = &reason
	}
	return out
}

type v1WebhookDelivery struct {
	ID            int64      `json:"id"`
	EndpointID    int64      `json:"endpoint_id"`
	MessageID     string     `json:"message_id"`
	EventType     string     `json:"event_type"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastStatus    *int       `json:"last_status"`
	LastError     *string    `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at"`
}

func newV1WebhookDelivery(w *admit.WebhookDelivery) v1WebhookDelivery {
	out := v1WebhookDelivery{ID: w.ID, EndpointID: w.EndpointID, MessageID: w.MessageID, EventType: w.EventType, Status: string(w.Status),
		Attempts: w.Attempts, CreatedAt: w.CreatedAt.UTC(), FinishedAt: wire.TimePtr(w.FinishedAt)}
	if w.Status == admit.WebhookPending {
		out.NextAttemptAt = wire.TimePtr(w.NextAttemptAt)
	}
	if w.LastStatus != 0 {
		status := w.LastStatus
		out.LastStatus = &status
	}
	if w.LastError != "" {
		msg := w.LastError
		out.LastError = &msg
	}
	return out
}

// v1WebhookEndpointRequest is the body of a creation (url and event_types
// required) or of an update (only what changes).
type v1WebhookEndpointRequest struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	EventTypes  *[]string `json:"event_types"`
	Enabled     *bool     `json:"enabled"`
}

// apply sets what the request holds on e and checks the result as the
// console checks its form (webhook.URLPolicy.CheckEndpoint): the URL's
// form and address, as delivery will; known event types; a short
// description.
func (r *v1WebhookEndpointRequest) apply(ctx context.Context, policy webhook.URLPolicy, e *admit.WebhookEndpoint) error {
	if r.URL != nil {
		e.URL = *r.URL
	}
	if r.EventTypes != nil {
		e.EventTypes = *r.EventTypes
	}
	if r.Description != nil {
		e.Description = *r.Description
	}
	if r.Enabled != nil {
		e.Enabled = *r.Enabled
	}
	return policy.CheckEndpoint(ctx, e)
}

// v1WebhookEndpointsList lists the organization's endpoints.
func (h *Handler) v1WebhookEndpointsList(c echo.Context) error {
	p, err := v1Page(c, false)
	if err != nil {
		return err
	}
	list, err := h.v1.Store.ListWebhookEndpoints(c.Request().Context(), v1Token(c).OrganizationID)
	if err != nil {
		return err
	}
	page, hasMore := pageInMemory(list, p, func(e *admit.WebhookEndpoint) int64 { return e.ID })
	out := make([]v1WebhookEndpoint, 0, len(page))
	for _, e := range page {
		out = append(out, newV1WebhookEndpoint(e))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(e v1WebhookEndpoint) int64 { return e.ID }))
}

// v1WebhookEndpointCreate adds an enabled endpoint with a new signing
// secret, returned in this answer only.
func (h *Handler) v1WebhookEndpointCreate(c echo.Context) error {
	var req v1WebhookEndpointRequest
	if err := api.Decode(c, &req, api.Rules{Strict: true}); err != nil {
		return err
	}
	if req.URL == nil {
		req.URL = new(string)
	}
	if req.EventTypes == nil {
		req.EventTypes = &[]string{}
	}
	e := &admit.WebhookEndpoint{OrganizationID: v1Token(c).OrganizationID, Enabled: true, Secret: webhook.NewSecret()}
	ctx := c.Request().Context()
	if err := req.apply(ctx, h.v1.WebhookURLs, e); err != nil {
		return err
	}
	if err := h.v1.Store.CreateWebhookEndpoint(ctx, e); err != nil {
		return err
	}
	h.v1Audit(c, "webhook_endpoint.created", v1WebhookObject(e.ID), e.URL)
	created, err := h.v1.Store.FindWebhookEndpoint(ctx, e.OrganizationID, e.ID)
	if err != nil {
		return err
	}
	out := newV1WebhookEndpoint(created)
	out.Secret = created.Secret
	return c.JSON(http.StatusCreated, out)
}

func v1WebhookObject(id int64) string { return "webhook_endpoint:" + strconv.FormatInt(id, 10) }

func (h *Handler) v1FindWebhookEndpoint(c echo.Context) (*admit.WebhookEndpoint, error) {
	id, err := v1ID(c, "endpoint", "Webhook endpoint")
	if err != nil {
		return nil, err
	}
	return h.v1.Store.FindWebhookEndpoint(c.Request().Context(), v1Token(c).OrganizationID, id)
}

func (h *Handler) v1WebhookEndpointShow(c echo.Context) error {
	e, err := h.v1FindWebhookEndpoint(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newV1WebhookEndpoint(e))
}

// v1WebhookEndpointUpdate changes what the body holds of url, description,
// event_types and enabled; enabling clears why admit disabled it.
func (h *Handler) v1WebhookEndpointUpdate(c echo.Context) error {
	var req v1WebhookEndpointRequest
	if err := api.Decode(c, &req, api.Rules{Strict: true}); err != nil {
		return err
	}
	e, err := h.v1FindWebhookEndpoint(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	changed := *e
	if err := req.apply(ctx, h.v1.WebhookURLs, &changed); err != nil {
		return err
	}
	if err := h.v1.Store.UpdateWebhookEndpoint(ctx, &changed); err != nil {
		return err
	}
	detail := changed.URL
	if changed.Enabled != e.Enabled {
		detail += map[bool]string{true: " (enabled)", false: " (disabled)"}[changed.Enabled]
	}
	h.v1Audit(c, "webhook_endpoint.updated", v1WebhookObject(e.ID), detail)
	updated, err := h.v1.Store.FindWebhookEndpoint(ctx, e.OrganizationID, e.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newV1WebhookEndpoint(updated))
}

// v1WebhookEndpointDelete removes the endpoint and its delivery log.
func (h *Handler) v1WebhookEndpointDelete(c echo.Context) error {
	e, err := h.v1FindWebhookEndpoint(c)
	if err != nil {
		return err
	}
	if err := h.v1.Store.DeleteWebhookEndpoint(c.Request().Context(), e.OrganizationID, e.ID); err != nil {
		return err
	}
	h.v1Audit(c, "webhook_endpoint.deleted", v1WebhookObject(e.ID), e.URL)
	return c.NoContent(http.StatusNoContent)
}

// v1WebhookDeliveriesList is the endpoint's delivery log, newest first;
// the cursor pages back to older deliveries.
func (h *Handler) v1WebhookDeliveriesList(c echo.Context) error {
	p, err := v1Page(c, false)
	if err != nil {
		return err
	}
	e, err := h.v1FindWebhookEndpoint(c)
	if err != nil {
		return err
	}
	// Newest first: the cursor is the last (oldest) id of the page, and
	// the next page holds the deliveries before it.
	list, err := h.v1.Store.ListWebhookDeliveries(c.Request().Context(), e.OrganizationID, e.ID, p.After, p.Limit+1)
	if err != nil {
		return err
	}
	hasMore := len(list) > p.Limit
	if hasMore {
		list = list[:p.Limit]
	}
	out := make([]v1WebhookDelivery, 0, len(list))
	for _, w := range list {
		out = append(out, newV1WebhookDelivery(w))
	}
	return c.JSON(http.StatusOK, newV1List(out, hasMore, func(w v1WebhookDelivery) int64 { return w.ID }))
}

// v1WebhookRedeliver has the worker send the delivery once more, with the
// same webhook-id: 202 with the delivery; 409 when the endpoint is
// disabled.
func (h *Handler) v1WebhookRedeliver(c echo.Context) error {
	endpointID, err := v1ID(c, "endpoint", "Delivery")
	if err != nil {
		return err
	}
	id, err := v1ID(c, "delivery", "Delivery")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	orgID := v1Token(c).OrganizationID
	w, _, err := h.v1.Store.FindWebhookDelivery(ctx, orgID, endpointID, id)
	if err != nil {
		return err
	}
	if err := h.v1.Store.QueueWebhookRedelivery(ctx, orgID, endpointID, w.ID); err != nil {
		return err
	}
	h.v1Audit(c, "webhook.redelivered", v1WebhookObject(endpointID), w.EventType+" "+w.MessageID)
	return c.JSON(http.StatusAccepted, newV1WebhookDelivery(w))
}
