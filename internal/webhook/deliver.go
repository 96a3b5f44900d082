package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/jobs"
)

// TypeDeliver is the asynq task type of one scheduled delivery attempt.
const TypeDeliver = "webhook:deliver"

// DefaultSchedule is the delay before each retry: the first attempt and
// nine retries over about three days.
var DefaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// RotationOverlap is how long the previous secret keeps signing after a
// rotation.
const RotationOverlap = 24 * time.Hour

// maxRetryAfter caps how long a receiver's Retry-After may postpone an
// attempt.
const maxRetryAfter = 24 * time.Hour

// Store is what deliveries need from storage.
type Store interface {
	HasWebhookSubscribers(ctx context.Context, orgID int64, eventType string) (bool, error)
	CreateWebhookDeliveries(ctx context.Context, orgID, outboxID int64, eventType, messageID string, payload []byte) ([]admit.WebhookDue, error)
	CreateWebhookTestDelivery(ctx context.Context, orgID, endpointID, outboxID int64, eventType, messageID string, payload []byte) ([]admit.WebhookDue, error)
	DueWebhookDeliveries(ctx context.Context, redeliverAfter time.Duration, limit int) ([]admit.WebhookDue, error)
	MarkWebhookDeliveriesEnqueued(ctx context.Context, ids []int64) error
	ClaimWebhookDelivery(ctx context.Context, id int64, attempts int, lease time.Duration) (*admit.WebhookDelivery, *admit.WebhookEndpoint, bool, error)
	FinishWebhookAttempt(ctx context.Context, w *admit.WebhookDelivery, a admit.WebhookAttempt, outcome admit.WebhookOutcome, retryIn time.Duration, reason string) error
	AbandonWebhookDelivery(ctx context.Context, w *admit.WebhookDelivery, reason string) error
	RecordManualWebhookAttempt(ctx context.Context, w *admit.WebhookDelivery, a admit.WebhookAttempt, delivered bool) error
	FindWebhookDeliveryForRedelivery(ctx context.Context, orgID, id int64) (*admit.WebhookDelivery, *admit.WebhookEndpoint, error)
	FindWebhookFailingNotice(ctx context.Context, orgID, endpointID, deliveryID, userID int64) (*admit.WebhookFailingNotice, error)
	FindOrderIDByTicket(ctx context.Context, orgID, ticketID int64) (int64, error)
	FindOrder(ctx context.Context, orgID, id int64) (*admit.Order, error)
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	FindWaitlistEntry(ctx context.Context, orgID, id int64) (*admit.WaitlistEntry, error)
	FindOrganization(ctx context.Context, id int64) (*admit.Organization, error)
}

// Enqueuer hands tasks to the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Options are a Deliverer's dependencies and settings.
type Options struct {
	Store  Store
	Queue  Enqueuer
	Logger *slog.Logger
	// URLs says which addresses deliveries may connect to.
	URLs URLPolicy
	// Timeout bounds one attempt, from connecting to reading the answer;
	// zero means 15 seconds.
	Timeout time.Duration
	// Schedule is the delay before each retry; nil means DefaultSchedule.
	// After the last one the delivery fails.
	Schedule []time.Duration
	// RedeliverAfter is how long after handing a due attempt to the queue
	// the dispatcher hands it over again if it has not run (the task was
	// lost with Redis); zero means 2 minutes.
	RedeliverAfter time.Duration
	// BaseURL starts the links in payloads and emails.
	BaseURL string
}

// Deliverer fans events out to endpoints and makes delivery attempts. The
// delivery row in MySQL is the schedule (status, attempts,
// next_attempt_at): nothing waits in Redis for hours. The dispatcher hands
// each attempt to the queue when it is due, and again if its task is lost;
// a claim in MySQL makes sure one attempt runs once.
type Deliverer struct {
	store          Store
	queue          Enqueuer
	logger         *slog.Logger
	urls           URLPolicy
	client         *http.Client
	timeout        time.Duration
	schedule       []time.Duration
	redeliverAfter time.Duration
	baseURL        string
}

// New returns a Deliverer.
func New(o Options) *Deliverer {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Schedule == nil {
		o.Schedule = DefaultSchedule
	}
	if o.RedeliverAfter <= 0 {
		o.RedeliverAfter = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{store: o.Store, queue: o.Queue, logger: o.Logger, urls: o.URLs, client: NewClient(o.URLs, o.Timeout),
		timeout: o.Timeout, schedule: o.Schedule, redeliverAfter: o.RedeliverAfter, baseURL: strings.TrimRight(o.BaseURL, "/")}
}

// NewClient returns the HTTP client of deliveries: it never follows a
// redirect (a 3xx is a failed attempt), ignores proxy settings, gives up
// after timeout, and unless policy.AllowPrivate refuses to connect to any
// address that is not public, checked on the address actually dialled.
func NewClient(policy URLPolicy, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	if !policy.AllowPrivate {
		dialer.Control = dialControl
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          200,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
	}
	return &http.Client{Transport: transport, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// lease is how long a claimed attempt is the claimer's: longer than any
// attempt can take.
func (d *Deliverer) lease() time.Duration { return d.timeout + time.Minute }

type deliverTask struct {
	DeliveryID int64 `json:"delivery_id"`
	Attempts   int   `json:"attempts"` // scheduled attempts made before this one
}

// TaskID is the asynq task id of the attempt after attempts of a delivery:
// enqueueing one attempt twice is a no-op while the first task waits.
func TaskID(deliveryID int64, attempts int) string {
	return "webhook-delivery:" + strconv.FormatInt(deliveryID, 10) + ":" + strconv.Itoa(attempts)
}

// enqueue hands due attempts to the queue and reports the ones handed over
// (or already waiting there).
func (d *Deliverer) enqueue(ctx context.Context, due []admit.WebhookDue) ([]int64, error) {
	var ids []int64
	for _, w := range due {
		payload, _ := json.Marshal(deliverTask{DeliveryID: w.ID, Attempts: w.Attempts})
		opts := []asynq.Option{asynq.TaskID(TaskID(w.ID, w.Attempts)), asynq.Queue(jobs.QueueDefault), asynq.MaxRetry(5),
			asynq.Timeout(d.timeout + 30*time.Second)}
		_, err := d.queue.EnqueueContext(ctx, asynq.NewTask(TypeDeliver, payload), opts...)
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return ids, err
		}
		ids = append(ids, w.ID)
	}
	return ids, nil
}

// FanOut turns the webhook event of an outbox row (kind "webhook." and the
// event type) into one delivery per subscribed enabled endpoint, and hands
// them to the queue. Running it again for the same row creates nothing
// twice; deliveries it could not hand over are handed over by the
// dispatcher.
func (d *Deliverer) FanOut(ctx context.Context, row *admit.OutboxRow) (string, error) {
	eventType, _ := row.Kind.WebhookEventType()
	if !KnownEventType(eventType) {
		// A kind written by newer code than this worker's, or a typo: no
		// endpoint can have subscribed to it.
		d.logger.Warn("webhook event of an unknown type", "outbox", row.ID, "kind", row.Kind)
		return "unknown event type", nil
	}
	if ok, err := d.store.HasWebhookSubscribers(ctx, row.OrganizationID, eventType); err != nil {
		return "", err
	} else if !ok {
		return "no endpoint subscribed", nil
	}
	data, err := d.eventData(ctx, row)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		return "object not found", nil
	} else if err != nil {
		return "", err
	}
	return d.fanOut(ctx, row, eventType, data)
}

// FanOutOrder is FanOut for the event of a row whose payload names the
// order o, which the caller read with a batch of rows (FindOutboxRows told
// it that an endpoint is subscribed): the event carries o as it was read.
func (d *Deliverer) FanOutOrder(ctx context.Context, row *admit.OutboxRow, o *admit.Order) (string, error) {
	eventType, _ := row.Kind.WebhookEventType()
	if !KnownEventType(eventType) {
		d.logger.Warn("webhook event of an unknown type", "outbox", row.ID, "kind", row.Kind)
		return "unknown event type", nil
	}
	return d.fanOut(ctx, row, eventType, NewOrderJSON(o, d.baseURL))
}

// fanOut creates the deliveries of the event of row with data and hands
// them to the queue.
func (d *Deliverer) fanOut(ctx context.Context, row *admit.OutboxRow, eventType string, data any) (string, error) {
	body, err := Event{ID: MessageID(row.ID), Type: eventType, CreatedAt: row.CreatedAt.UTC(), Data: data}.Encode()
	if err != nil {
		return "", err
	}
	due, err := d.store.CreateWebhookDeliveries(ctx, row.OrganizationID, row.ID, eventType, MessageID(row.ID), body)
	if err != nil {
		return "", err
	}
	d.handOver(ctx, due, row.ID)
	return fmt.Sprintf("%d deliveries", len(due)), nil
}

// TestEventType is the type of the event an organizer sends to one
// endpoint from the console, to see their receiver work; no endpoint
// subscribes to it.
const TestEventType = "webhook.test"

// TestEventData is the data of a webhook.test event.
type TestEventData struct {
	Object     string `json:"object"` // "test"
	EndpointID int64  `json:"endpoint_id"`
	Message    string `json:"message"`
}

// SendTest delivers the webhook.test event of row to the endpoint it
// names, alone, with the retries and the log of any delivery.
func (d *Deliverer) SendTest(ctx context.Context, row *admit.OutboxRow, endpointID int64) (string, error) {
	body, err := Event{ID: MessageID(row.ID), Type: TestEventType, CreatedAt: row.CreatedAt.UTC(), Data: TestEventData{Object: "test",
		EndpointID: endpointID, Message: "A test event sent from the Admit console: your endpoint receives and verifies deliveries."}}.Encode()
	if err != nil {
		return "", err
	}
	due, err := d.store.CreateWebhookTestDelivery(ctx, row.OrganizationID, endpointID, row.ID, TestEventType, MessageID(row.ID), body)
	if err != nil {
		return "", err
	}
	d.handOver(ctx, due, row.ID)
	if len(due) == 0 {
		return "endpoint disabled or gone", nil
	}
	return "test delivery", nil
}

// DispatchOnce hands every due attempt that is not in the queue (never
// handed over, or lost) to it, and reports how many.
func (d *Deliverer) DispatchOnce(ctx context.Context) (int, error) {
	due, err := d.store.DueWebhookDeliveries(ctx, d.redeliverAfter, 500)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	ids, err := d.enqueue(ctx, due)
	if merr := d.store.MarkWebhookDeliveriesEnqueued(ctx, ids); merr != nil && err == nil {
		err = merr
	}
	return len(ids), err
}

// RunDispatcher dispatches every interval until ctx is done.
func (d *Deliverer) RunDispatcher(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.DispatchOnce(ctx); err != nil && ctx.Err() == nil {
			d.logger.Warn("webhook dispatcher failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ProcessTask is the asynq handler of TypeDeliver: one scheduled attempt.
// A receiver's failure is not the task's: it is logged and the next attempt
// scheduled (the dispatcher hands it over when due), and the task succeeds.
// Only storage failures fail the task.
func (d *Deliverer) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var t deliverTask
	if err := json.Unmarshal(task.Payload(), &t); err != nil || t.DeliveryID == 0 {
		return fmt.Errorf("webhook task with a bad payload: %w", asynq.SkipRetry)
	}
	w, e, ok, err := d.store.ClaimWebhookDelivery(ctx, t.DeliveryID, t.Attempts, d.lease())
	if err != nil || !ok {
		return err // !ok: done, not due, or another worker has it
	}
	if !e.Enabled {
		return d.store.AbandonWebhookDelivery(ctx, w, "Not sent: the endpoint is disabled.")
	}
	a := d.attempt(ctx, e, w)
	n := w.Attempts + 1
	outcome, retryIn, reason := admit.WebhookRetry, time.Duration(0), ""
	switch {
	case a.ResponseStatus >= 200 && a.ResponseStatus < 300:
		outcome = admit.WebhookDelivered
	case a.ResponseStatus == http.StatusGone:
		outcome = admit.WebhookDisable
		reason = "The receiver answered 410 Gone on " + a.StartedAt.UTC().Format("2 Jan 2006 15:04 UTC") + "."
	case n > len(d.schedule):
		outcome = admit.WebhookGiveUp
	default:
		retryIn = jitter(d.schedule[n-1])
		if a.retryAfter > retryIn {
			retryIn = a.retryAfter
		}
	}
	return d.store.FinishWebhookAttempt(ctx, w, a.WebhookAttempt, outcome, retryIn, reason)
}

// jitter spreads a delay by ±10%, so that endpoints that failed together
// are not retried in lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	spread := int64(d) / 5
	return d - time.Duration(spread/2) + time.Duration(rand.Int64N(spread+1))
}

// Redeliver makes one more attempt of the organization's delivery, asked
// for from the console, with the same webhook-id. It is logged as manual;
// a 2xx marks the delivery succeeded, anything else leaves it as it was.
func (d *Deliverer) Redeliver(ctx context.Context, orgID, deliveryID int64) (string, error) {
	w, e, err := d.store.FindWebhookDeliveryForRedelivery(ctx, orgID, deliveryID)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		return "delivery deleted", nil
	} else if err != nil {
		return "", err
	}
	if !e.Enabled {
		return "endpoint disabled", nil
	}
	a := d.attempt(ctx, e, w)
	delivered := a.ResponseStatus >= 200 && a.ResponseStatus < 300
	if err := d.store.RecordManualWebhookAttempt(ctx, w, a.WebhookAttempt, delivered); err != nil {
		return "", err
	}
	if a.ResponseStatus == 0 {
		return "no response", nil
	}
	return "HTTP " + strconv.Itoa(a.ResponseStatus), nil
}

type attemptResult struct {
	admit.WebhookAttempt
	retryAfter time.Duration
}

// attempt POSTs the delivery's payload to the endpoint, signed with each of
// its current secrets, and returns what happened.
func (d *Deliverer) attempt(ctx context.Context, e *admit.WebhookEndpoint, w *admit.WebhookDelivery) (r attemptResult) {
	start := time.Now()
	r = attemptResult{WebhookAttempt: admit.WebhookAttempt{DeliveryID: w.ID, OrganizationID: w.OrganizationID, StartedAt: start}}
	defer func() { r.Duration = time.Since(start) }()
	// The URL was checked when saved; policies change (production forbids
	// http), so its form is checked again. The address is checked by the
	// dialer, on the address it connects to.
	if _, err := d.urls.checkForm(e.URL); err != nil {
		r.Error = "Not sent: " + err.Error()
		return r
	}
	sig, err := Sign(e.Secrets(), w.MessageID, start.Unix(), w.Payload)
	if err != nil {
		r.Error = "Not sent: " + err.Error()
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(w.Payload))
	if err != nil {
		r.Error = "Not sent: " + err.Error()
		return r
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Admit-Webhooks/1")
	req.Header.Set("webhook-id", w.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(start.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.client.Do(req)
	if err != nil {
		r.Error = describe(err, d.timeout)
		return r
	}
	defer resp.Body.Close()
	r.ResponseStatus = resp.StatusCode
	r.ResponseBody, _ = io.ReadAll(io.LimitReader(resp.Body, 1024))
	// Read a little more so the connection can be reused, but never wait
	// on a receiver that streams.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		r.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		r.Error = "Redirects are not followed: the receiver answered " + resp.Status + " to " + resp.Header.Get("Location") + "."
	}
	return r
}

// describe says what went wrong with an attempt in the organizer's terms.
func describe(err error, timeout time.Duration) string {
	var addr *AddressError
	var netErr net.Error
	switch {
	case errors.As(err, &addr):
		return "Not sent: " + addr.Error()
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "No answer within " + timeout.String() + "."
	}
	var dial *net.OpError
	if errors.As(err, &dial) && dial.Op == "dial" && dial.Err != nil {
		// The syscall's own words ("connection refused"), without the
		// addresses the receiver's owner already knows.
		cause := dial.Err
		var sys *os.SyscallError
		if errors.As(cause, &sys) {
			cause = sys.Err
		}
		return "Could not connect: " + cause.Error() + "."
	}
	return err.Error()
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date),
// capped at maxRetryAfter; zero when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, maxRetryAfter))
}

// FailingEmail returns the recipient and content of the email that tells an
// owner or admin an endpoint's deliveries are failing or that it was
// disabled (outbox kind email.webhook_failing); ok false when there is no
// one to tell any more (the endpoint was deleted, or the member left).
func (d *Deliverer) FailingEmail(ctx context.Context, orgID, endpointID, deliveryID, userID int64) (to string, data email.WebhookFailingData, ok bool, err error) {
	n, err := d.store.FindWebhookFailingNotice(ctx, orgID, endpointID, deliveryID, userID)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		return "", data, false, nil
	} else if err != nil {
		return "", data, false, err
	}
	data = email.WebhookFailingData{Organization: n.Organization, Name: n.Name, URL: n.URL, EventType: n.EventType, MessageID: n.MessageID,
		Disabled: !n.Enabled, Reason: n.DisabledReason,
		ConsoleURL: d.baseURL + "/console/" + n.OrganizationSlug + "/webhooks/" + strconv.FormatInt(n.EndpointID, 10)}
	switch {
	case n.LastStatus != 0:
		data.LastResult = "HTTP " + strconv.Itoa(n.LastStatus)
	case n.LastError != "":
		data.LastResult = n.LastError
	}
	return n.To, data, true, nil
}

// handOver enqueues the deliveries due and marks them enqueued. A failure
// is only logged: the dispatcher hands over what is left pending.
func (d *Deliverer) handOver(ctx context.Context, due []admit.WebhookDue, outboxID int64) {
	ids, err := d.enqueue(ctx, due)
	if merr := d.store.MarkWebhookDeliveriesEnqueued(ctx, ids); merr != nil && err == nil {
		err = merr
	}
	if err != nil {
		d.logger.Warn("handing webhook deliveries to the queue failed; the dispatcher will", "outbox", outboxID, "err", err)
	}
}
