package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/webhook"
)

// WebhookStore is what the webhook pages need from storage.
type WebhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e *admit.WebhookEndpoint) error
	UpdateWebhookEndpoint(ctx context.Context, e *admit.WebhookEndpoint) error
	RotateWebhookSecret(ctx context.Context, orgID, id int64, secret string, keepOld time.Duration) error
	DeleteWebhookEndpoint(ctx context.Context, orgID, id int64) error
	FindWebhookEndpoint(ctx context.Context, orgID, id int64) (*admit.WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context, orgID int64) ([]*admit.WebhookEndpoint, error)
	ListWebhookDeliveries(ctx context.Context, orgID, endpointID, before int64, limit int) ([]*admit.WebhookDelivery, error)
	FindWebhookDelivery(ctx context.Context, orgID, endpointID, id int64) (*admit.WebhookDelivery, *admit.WebhookEndpoint, error)
	ListWebhookAttempts(ctx context.Context, orgID, deliveryID int64) ([]admit.WebhookAttempt, error)
	QueueWebhookRedelivery(ctx context.Context, orgID, endpointID, deliveryID int64) error
	QueueWebhookTest(ctx context.Context, orgID, endpointID int64) error
}

var webhookPages = []string{"webhooks", "webhook_deliveries"}

func (h *Handler) registerWebhooks(admin *echo.Group) {
	admin.GET("/webhooks", h.webhooksList)
	admin.POST("/webhooks", h.webhookCreate)
	admin.GET("/webhooks/:endpoint", h.webhookShow)
	admin.POST("/webhooks/:endpoint", h.webhookUpdate)
	admin.POST("/webhooks/:endpoint/rotate", h.webhookRotate)
	admin.POST("/webhooks/:endpoint/test", h.webhookTest)
	admin.POST("/webhooks/:endpoint/delete", h.webhookDelete)
	admin.GET("/webhooks/:endpoint/deliveries/:delivery", h.webhookDeliveryShow)
	admin.POST("/webhooks/:endpoint/deliveries/:delivery/redeliver", h.webhookRedeliver)
}

// webhookForm is the endpoint form as submitted.
type webhookForm struct {
	URL         string
	Description string
	EventTypes  map[string]bool
	Enabled     bool
}

func formOf(e *admit.WebhookEndpoint) webhookForm {
	f := webhookForm{URL: e.URL, Description: e.Description, EventTypes: map[string]bool{}, Enabled: e.Enabled}
	for _, t := range e.EventTypes {
		f.EventTypes[t] = true
	}
	return f
}

// readWebhookForm parses the form and checks it as the API checks its
// requests (webhook.URLPolicy.CheckEndpoint): the URL's form and address,
// as delivery will; at least one known event type; a short description.
func (h *Handler) readWebhookForm(c echo.Context) (webhookForm, []string, admit.Problems) {
	f := webhookForm{URL: strings.TrimSpace(c.FormValue("url")), Description: strings.TrimSpace(c.FormValue("description")),
		EventTypes: map[string]bool{}, Enabled: c.FormValue("enabled") == "on"}
	e := &admit.WebhookEndpoint{URL: f.URL, Description: f.Description, EventTypes: c.Request().PostForm["event_types"]}
	for _, t := range e.EventTypes {
		f.EventTypes[t] = true
	}
	p, _ := problemsOf(h.webhookURLs.CheckEndpoint(c.Request().Context(), e))
	return f, e.EventTypes, p
}

type webhookRow struct {
	Endpoint *admit.WebhookEndpoint
	Events   string
}

type webhooksPage struct {
	Base       basePage
	Endpoints  []webhookRow
	EventTypes []webhook.EventType
	Form       webhookForm
	Problems   admit.Problems
	// Full is true when the organization has as many endpoints as it may.
	Full bool
}

// webhooksList lists the organization's endpoints with a form to add one.
func (h *Handler) webhooksList(c echo.Context) error {
	return h.renderWebhooks(c, http.StatusOK, webhookForm{EventTypes: map[string]bool{}, Enabled: true}, nil)
}

func (h *Handler) renderWebhooks(c echo.Context, status int, form webhookForm, problems admit.Problems) error {
	m := currentMember(c)
	list, err := h.store.ListWebhookEndpoints(c.Request().Context(), m.org.ID)
	if err != nil {
		return err
	}
	page := webhooksPage{Base: h.base(c, "webhooks"), EventTypes: webhook.EventTypes, Form: form, Problems: problems,
		Full: len(list) >= admit.MaxWebhookEndpoints}
	for _, e := range list {
		page.Endpoints = append(page.Endpoints, webhookRow{Endpoint: e, Events: strings.Join(e.EventTypes, ", ")})
	}
	return h.html(c, status, "webhooks", page)
}

// webhookCreate adds an endpoint with a new secret and shows its page.
func (h *Handler) webhookCreate(c echo.Context) error {
	m := currentMember(c)
	form, types, p := h.readWebhookForm(c)
	form.Enabled = true // a new endpoint starts enabled; the form has no checkbox
	e := &admit.WebhookEndpoint{OrganizationID: m.org.ID, URL: form.URL, Description: form.Description, EventTypes: types,
		Enabled: true, Secret: webhook.NewSecret()}
	if len(p) == 0 {
		if err := h.store.CreateWebhookEndpoint(c.Request().Context(), e); err != nil {
			var ok bool
			if p, ok = problemsOf(err); !ok {
				return err
			}
		}
	}
	if len(p) > 0 {
		return h.renderWebhooks(c, http.StatusUnprocessableEntity, form, p)
	}
	h.audit(c, "webhook_endpoint.created", webhookObject(e.ID), e.URL)
	return h.redirectWithFlash(c, webhookPath(m, e.ID), "Endpoint added. Use the signing secret below to verify its deliveries.")
}

func webhookObject(id int64) string { return "webhook_endpoint:" + strconv.FormatInt(id, 10) }

func webhookPath(m *member, id int64) string {
	return "/console/" + m.org.Slug + "/webhooks/" + strconv.FormatInt(id, 10)
}

func (h *Handler) loadWebhookEndpoint(c echo.Context) (*admit.WebhookEndpoint, error) {
	id, err := strconv.ParseInt(c.Param("endpoint"), 10, 64)
	if err != nil {
		return nil, admit.Errorf(admit.ENOTFOUND, "Webhook endpoint not found.")
	}
	return h.store.FindWebhookEndpoint(c.Request().Context(), currentMember(c).org.ID, id)
}

type deliveryRow struct {
	Delivery *admit.WebhookDelivery
	Created  string
	Next     string
	Result   string
}

type attemptRow struct {
	Attempt  admit.WebhookAttempt
	Started  string
	Duration string
	Body     string
}

type webhookDeliveriesPage struct {
	Base       basePage
	Endpoint   *admit.WebhookEndpoint
	EventTypes []webhook.EventType
	Form       webhookForm
	Problems   admit.Problems
	// PreviousUntil is when the previous secret stops signing, during a
	// rotation.
	PreviousUntil string
	Deliveries    []deliveryRow
	// OlderURL pages back through the log.
	OlderURL string
	// Delivery, on a delivery's page, is the delivery with its payload and
	// every attempt.
	Delivery *deliveryRow
	Payload  string
	Attempts []attemptRow
}

// webhookShow is the endpoint's page: its settings, its secret, and its
// delivery log, newest first.
func (h *Handler) webhookShow(c echo.Context) error {
	e, err := h.loadWebhookEndpoint(c)
	if err != nil {
		return err
	}
	return h.renderWebhook(c, http.StatusOK, e, formOf(e), nil)
}

func (h *Handler) renderWebhook(c echo.Context, status int, e *admit.WebhookEndpoint, form webhookForm, problems admit.Problems) error {
	m := currentMember(c)
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	const pageSize = 50
	list, err := h.store.ListWebhookDeliveries(c.Request().Context(), m.org.ID, e.ID, before, pageSize)
	if err != nil {
		return err
	}
	page := h.webhookPage(c, e)
	page.Form, page.Problems = form, problems
	for _, w := range list {
		page.Deliveries = append(page.Deliveries, newDeliveryRow(w))
	}
	if len(list) == pageSize {
		page.OlderURL = fmt.Sprintf("%s?before=%d", webhookPath(m, e.ID), list[len(list)-1].ID)
	}
	return h.html(c, status, "webhook_deliveries", page)
}

func (h *Handler) webhookPage(c echo.Context, e *admit.WebhookEndpoint) webhookDeliveriesPage {
	page := webhookDeliveriesPage{Base: h.base(c, "webhooks"), Endpoint: e, EventTypes: webhook.EventTypes}
	if e.PreviousSecret != "" {
		page.PreviousUntil = e.PreviousSecretExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	return page
}

func newDeliveryRow(w *admit.WebhookDelivery) deliveryRow {
	r := deliveryRow{Delivery: w, Created: w.CreatedAt.UTC().Format("2 Jan 15:04:05")}
	if w.Status == admit.WebhookPending && !w.NextAttemptAt.IsZero() {
		r.Next = w.NextAttemptAt.UTC().Format("2 Jan 15:04:05")
	}
	switch {
	case w.LastStatus != 0:
		r.Result = "HTTP " + strconv.Itoa(w.LastStatus)
	case w.LastError != "":
		r.Result = w.LastError
	}
	return r
}

// webhookUpdate saves the endpoint's settings.
func (h *Handler) webhookUpdate(c echo.Context) error {
	e, err := h.loadWebhookEndpoint(c)
	if err != nil {
		return err
	}
	form, types, p := h.readWebhookForm(c)
	if len(p) == 0 {
		changed := *e
		changed.URL, changed.Description, changed.EventTypes, changed.Enabled = form.URL, form.Description, types, form.Enabled
		if err := h.store.UpdateWebhookEndpoint(c.Request().Context(), &changed); err != nil {
			var ok bool
			if p, ok = problemsOf(err); !ok {
				return err
			}
		}
	}
	if len(p) > 0 {
		return h.renderWebhook(c, http.StatusUnprocessableEntity, e, form, p)
	}
	detail := form.URL
	if form.Enabled != e.Enabled {
		detail += map[bool]string{true: " (enabled)", false: " (disabled)"}[form.Enabled]
	}
	h.audit(c, "webhook_endpoint.updated", webhookObject(e.ID), detail)
	return h.redirectWithFlash(c, webhookPath(currentMember(c), e.ID), "Endpoint saved.")
}

// webhookRotate gives the endpoint a new secret; the old one keeps signing
// for a day, so the receiver can switch without missing a delivery.
func (h *Handler) webhookRotate(c echo.Context) error {
	e, err := h.loadWebhookEndpoint(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if err := h.store.RotateWebhookSecret(c.Request().Context(), m.org.ID, e.ID, webhook.NewSecret(), webhook.RotationOverlap); err != nil {
		return err
	}
	h.audit(c, "webhook_endpoint.secret_rotated", webhookObject(e.ID), e.URL)
	return h.redirectWithFlash(c, webhookPath(m, e.ID),
		"New secret made. Deliveries carry signatures with both secrets for 24 hours: switch your receiver to the new one.")
}

// webhookDelete removes the endpoint and its delivery log.
func (h *Handler) webhookDelete(c echo.Context) error {
	e, err := h.loadWebhookEndpoint(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	if err := h.store.DeleteWebhookEndpoint(c.Request().Context(), m.org.ID, e.ID); err != nil {
		return err
	}
	h.audit(c, "webhook_endpoint.deleted", webhookObject(e.ID), e.URL)
	return h.redirectWithFlash(c, "/console/"+m.org.Slug+"/webhooks", "Endpoint deleted.")
}

func (h *Handler) loadWebhookDelivery(c echo.Context) (*admit.WebhookDelivery, *admit.WebhookEndpoint, error) {
	endpointID, err1 := strconv.ParseInt(c.Param("endpoint"), 10, 64)
	id, err2 := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, nil, admit.Errorf(admit.ENOTFOUND, "Delivery not found.")
	}
	return h.store.FindWebhookDelivery(c.Request().Context(), currentMember(c).org.ID, endpointID, id)
}

// webhookDeliveryShow shows one delivery: what was sent and every attempt
// with the receiver's answer.
func (h *Handler) webhookDeliveryShow(c echo.Context) error {
	w, e, err := h.loadWebhookDelivery(c)
	if err != nil {
		return err
	}
	attempts, err := h.store.ListWebhookAttempts(c.Request().Context(), currentMember(c).org.ID, w.ID)
	if err != nil {
		return err
	}
	page := h.webhookPage(c, e)
	row := newDeliveryRow(w)
	page.Delivery = &row
	var pretty bytes.Buffer
	if json.Indent(&pretty, w.Payload, "", "  ") == nil {
		page.Payload = pretty.String()
	} else {
		page.Payload = string(w.Payload)
	}
	for _, a := range attempts {
		page.Attempts = append(page.Attempts, attemptRow{Attempt: a, Started: a.StartedAt.UTC().Format("2 Jan 2006 15:04:05 UTC"),
			Duration: a.Duration.Round(time.Millisecond).String(), Body: strings.ToValidUTF8(string(a.ResponseBody), "\uFFFD")})
	}
	return h.html(c, http.StatusOK, "webhook_deliveries", page)
}

// webhookRedeliver asks the worker to send the delivery once more, with the
// same webhook-id; the attempt appears in the log.
func (h *Handler) webhookRedeliver(c echo.Context) error {
	w, e, err := h.loadWebhookDelivery(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	to := fmt.Sprintf("%s/deliveries/%d", webhookPath(m, e.ID), w.ID)
	if err := h.store.QueueWebhookRedelivery(c.Request().Context(), m.org.ID, e.ID, w.ID); admit.ErrorCode(err) == admit.ECONFLICT {
		return h.redirectWithFlash(c, to, admit.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	h.audit(c, "webhook.redelivered", webhookObject(e.ID), w.EventType+" "+w.MessageID)
	return h.redirectWithFlash(c, to, "Sending again: the attempt appears below in a few seconds.")
}

// webhookTest sends the endpoint a webhook.test event, through the outbox
// like every event, so the organizer sees their receiver answer (or not)
// in the delivery log without waiting for a real order.
func (h *Handler) webhookTest(c echo.Context) error {
	e, err := h.loadWebhookEndpoint(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	to := webhookPath(m, e.ID)
	if err := h.store.QueueWebhookTest(c.Request().Context(), m.org.ID, e.ID); admit.ErrorCode(err) == admit.ECONFLICT {
		return h.redirectWithFlash(c, to, admit.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	h.audit(c, "webhook.test_sent", webhookObject(e.ID), "")
	return h.redirectWithFlash(c, to, "A webhook.test event is on its way: it appears under Deliveries in a few seconds.")
}
