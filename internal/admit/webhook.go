package admit

import (
	"strings"
	"time"
	"unicode/utf8"
)

// MaxWebhookEndpoints is how many endpoints one organization may have.
const MaxWebhookEndpoints = 20

// WebhookEndpoint is one of an organization's webhook receivers.
type WebhookEndpoint struct {
	ID             int64
	OrganizationID int64
	URL            string
	Description    string
	EventTypes     []string
	Enabled        bool
	// DisabledReason says why admit disabled the endpoint (a 410 Gone);
	// empty when the organizer did.
	DisabledReason string
	Secret         string
	// PreviousSecret is the secret before the last rotation while it still
	// signs deliveries (until PreviousSecretExpiresAt); empty otherwise.
	PreviousSecret          string
	PreviousSecretExpiresAt time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// Secrets returns the secrets that sign a delivery now: the current one,
// and during a rotation the previous one.
func (e *WebhookEndpoint) Secrets() []string {
	if e.PreviousSecret != "" {
		return []string{e.Secret, e.PreviousSecret}
	}
	return []string{e.Secret}
}

// WebhookDeliveryStatus is where a delivery is in its life.
type WebhookDeliveryStatus string

// Delivery statuses: pending while attempts remain, then succeeded or failed.
const (
	WebhookPending   WebhookDeliveryStatus = "pending"
	WebhookSucceeded WebhookDeliveryStatus = "succeeded"
	WebhookFailed    WebhookDeliveryStatus = "failed"
)

// WebhookDelivery is one event for one endpoint.
type WebhookDelivery struct {
	ID             int64
	OrganizationID int64
	EndpointID     int64
	OutboxID       int64
	// MessageID is the webhook-id header: the same on every attempt.
	MessageID     string
	EventType     string
	Payload       []byte
	Status        WebhookDeliveryStatus
	Attempts      int // scheduled attempts made
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
	CreatedAt     time.Time
	FinishedAt    time.Time
}

// WebhookAttempt is one HTTP request of a delivery, as the log shows it.
type WebhookAttempt struct {
	ID             int64
	DeliveryID     int64
	OrganizationID int64
	Manual         bool
	StartedAt      time.Time
	Duration       time.Duration
	ResponseStatus int    // 0: no response
	ResponseBody   []byte // the first kilobyte
	Error          string
}

// WebhookOutcome is what the scheduler decided after an attempt.
type WebhookOutcome int

// Outcomes of a scheduled attempt.
const (
	// WebhookDelivered ends the delivery: the receiver answered 2xx.
	WebhookDelivered WebhookOutcome = iota
	// WebhookRetry schedules the next attempt.
	WebhookRetry
	// WebhookGiveUp fails the delivery after its last attempt and tells
	// the organization's owners and admins (at most once a day per endpoint).
	WebhookGiveUp
	// WebhookDisable fails the delivery and disables the endpoint (the
	// receiver answered 410 Gone), and tells the owners and admins.
	WebhookDisable
)

// WebhookDue is one delivery whose attempt is due, for the dispatcher.
type WebhookDue struct {
	ID       int64
	Attempts int
}

// WebhookFailingNotice is what the "webhook deliveries are failing" email
// needs.
type WebhookFailingNotice struct {
	To               string
	Name             string
	Organization     string
	OrganizationSlug string
	EndpointID       int64
	URL              string
	Enabled          bool
	DisabledReason   string
	EventType        string
	MessageID        string
	LastStatus       int
	LastError        string
}

// Validate reports the endpoint's field problems: a URL, at least one event
// type, a short description. Whether the URL's address may be called
// (webhook.URLPolicy) and the event types exist is the webhook package's
// to say: see webhook.URLPolicy.CheckEndpoint, which runs this too.
func (e *WebhookEndpoint) Validate() error {
	var p Problems
	switch {
	case e.URL == "":
		p.Add("url", "Enter the URL that receives the events.")
	case len(e.URL) > 2000:
		p.Add("url", "At most 2000 characters.")
	}
	if len(e.EventTypes) == 0 {
		p.Add("event_types", "Choose at least one event type.")
	} else if len(strings.Join(e.EventTypes, ",")) > 1000 {
		p.Add("event_types", "Too many event types.")
	}
	if utf8.RuneCountInString(e.Description) > 200 {
		p.Add("description", "At most 200 characters.")
	}
	return p.Err()
}
