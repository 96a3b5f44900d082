package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/email"
)

// TypeOutbox is the asynq task type of outbox side effects. Its payload
// names a batch of rows ({"outbox_ids": [...]}), or one row
// ({"outbox_id": N}) as in tasks written before side effects were batched,
// which may still wait in a queue after an upgrade.
const TypeOutbox = "outbox"

// OutboxStore is what the relay and the outbox handler need from storage.
type OutboxStore interface {
	DueOutbox(ctx context.Context, redeliverAfter, retryBase time.Duration, limit int) ([]admit.OutboxRow, error)
	MarkOutboxEnqueued(ctx context.Context, ids []int64) error
	FindOutboxRows(ctx context.Context, ids []int64) ([]admit.OutboxRow, error)
	FindOrders(ctx context.Context, keys []admit.OrderRef) (map[admit.OrderRef]*admit.Order, error)
	LoadOrderDetails(ctx context.Context, orders []*admit.Order) error
	RecordOutboxResults(ctx context.Context, results []admit.OutboxResult) (int, error)
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	FindOrganization(ctx context.Context, id int64) (*admit.Organization, error)
	FindUser(ctx context.Context, id int64) (*admit.User, error)
	FindRefund(ctx context.Context, orgID, id int64) (*admit.Refund, string, error)
	FindInvitationEmail(ctx context.Context, orgID, id int64) (*admit.InvitationEmail, error)
	FindWaitlistOffer(ctx context.Context, orgID, entryID int64) (*admit.WaitlistOfferEmail, error)
	TicketKey(ctx context.Context, orgID, eventID int64) (*admit.TicketKey, error)
}

// Enqueuer hands tasks to the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Relay hands due outbox rows to asynq, a batch of up to BatchSize rows of
// one queue per task, and hands them again when they are not done some
// time after (the task may have been lost with Redis), or, after a failed
// attempt, once its backoff has passed. Any number of relays may run:
// claims (see Outbox.Claims) keep two batches holding the same row from
// performing it twice.
type Relay struct {
	Store          OutboxStore
	Queue          Enqueuer
	Logger         *slog.Logger
	RedeliverAfter time.Duration
	// RetryBase is the delay before a failed side effect is tried again;
	// each failure doubles it, to at most an hour. Zero means 5 seconds.
	RetryBase time.Duration
	// BatchSize caps the rows of one task; zero means 100.
	BatchSize int
}

// QueueFor returns the queue of a side effect: order processing and order
// emails first, webhooks next, exports last.
func QueueFor(kind admit.OutboxKind) string {
	switch kind {
	case admit.KindOrderConfirmation, admit.KindOrderCancelled, admit.KindOrderRefunded, admit.KindRefund, admit.KindPasswordReset:
		return QueueCritical
	case admit.KindExportBuild:
		return QueueLow
	}
	return QueueDefault
}

// batchTimeout bounds one batch of a queue: a batch's emails are sent
// concurrently, each within Outbox.SendTimeout; an export may take minutes.
func batchTimeout(queue string) time.Duration {
	if queue == QueueLow {
		return 10 * time.Minute
	}
	return time.Minute
}

// TaskID is the asynq task id that versions before batching gave the task
// of outbox row outboxID.
func TaskID(outboxID int64) string { return "outbox:" + strconv.FormatInt(outboxID, 10) }

// RelayOnce enqueues every due row and returns how many it handed over.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	retryBase := r.RetryBase
	if retryBase <= 0 {
		retryBase = 5 * time.Second
	}
	size := r.BatchSize
	if size <= 0 {
		size = 100
	}
	rows, err := r.Store.DueOutbox(ctx, r.RedeliverAfter, retryBase, 500)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	var handed []int64
	for q, ids := range queueChunks(rows, size) {
		if err := r.enqueue(ctx, q, ids); err != nil {
			// Redis is down: leave the rest for the next round.
			if len(handed) > 0 {
				_ = r.Store.MarkOutboxEnqueued(ctx, handed)
			}
			return len(handed), err
		}
		handed = append(handed, ids...)
	}
	return len(handed), r.Store.MarkOutboxEnqueued(ctx, handed)
}

// queueChunks yields the ids of rows in chunks of at most size, each with
// the queue its rows' kind goes to, the critical queue's first.
func queueChunks(rows []admit.OutboxRow, size int) iter.Seq2[string, []int64] {
	return func(yield func(string, []int64) bool) {
		byQueue := map[string][]int64{}
		for _, row := range rows {
			q := QueueFor(row.Kind)
			byQueue[q] = append(byQueue[q], row.ID)
		}
		for _, q := range []string{QueueCritical, QueueDefault, QueueLow} {
			for ids := range slices.Chunk(byQueue[q], size) {
				if !yield(q, ids) {
					return
				}
			}
		}
	}
}

// enqueue hands a batch of rows of queue to asynq. Its task id is asynq's
// own: a batch cannot be named after its rows (the same row may be handed
// over again in another batch), so it is the claims, not the id, that
// keep a row from being performed twice at once.
func (r *Relay) enqueue(ctx context.Context, queue string, ids []int64) error {
	return enqueueRows(ctx, r.Queue, queue, ids)
}

// enqueueRows hands a batch of rows of queue to asynq as one task.
func enqueueRows(ctx context.Context, q Enqueuer, queue string, ids []int64) error {
	payload, _ := json.Marshal(outboxTask{IDs: ids})
	_, err := q.EnqueueContext(ctx, asynq.NewTask(TypeOutbox, payload),
		asynq.Queue(queue), asynq.MaxRetry(5), asynq.Timeout(batchTimeout(queue)))
	return err
}

// Run relays every interval until ctx is done.
func (r *Relay) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.RelayOnce(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("outbox relay failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type outboxTask struct {
	ID  int64   `json:"outbox_id,omitempty"`
	IDs []int64 `json:"outbox_ids,omitempty"`
}

// Mailer sends an email and returns the provider's message id.
type Mailer interface {
	Send(ctx context.Context, m email.Message) (string, error)
}

// Refunds performs the provider side of a refund.
type Refunds interface {
	PerformRefund(ctx context.Context, orgID, refundID int64) error
}

// Outbox performs side effects, a batch of outbox rows per task (see the
// package documentation). It is idempotent: a row already done is skipped,
// and an email's send is recorded (with SES's message id) in the statement
// that marks its row done.
type Outbox struct {
	Store        OutboxStore
	Mailer       Mailer
	Emails       *email.Renderer
	Refunds      Refunds
	BaseURL      string
	MailFrom     string
	Instructions string
	Logger       *slog.Logger
	Exports      *Exporter
	// Webhooks delivers webhook events; nil records them as having no
	// endpoint.
	Webhooks Webhooks
	// Claims keeps two batches that hold the same row from performing it
	// at once. Nil is for a worker that runs alone (tests); admit worker
	// sets it, since two workers and their relays may hand a row over
	// twice.
	Claims Claims
	// Parallel bounds the side effects this worker performs at once, across
	// its batches (rendering and sending emails, fanning webhooks out);
	// zero means 16.
	Parallel int
	// SendTimeout bounds one email's hand-over to SES; zero means 20
	// seconds.
	SendTimeout time.Duration

	once       sync.Once
	slots      chan struct{}
	events     *recent[eventKey, *admit.Event]
	orgs       *recent[int64, *admit.Organization]
	ticketKeys *recent[eventKey, *admit.TicketKey]
}

// Claims records which batch performs an outbox row (redis.OutboxClaims).
type Claims interface {
	Claim(ctx context.Context, owner string, ids []int64, lease time.Duration) ([]int64, error)
	Release(ctx context.Context, owner string, ids []int64) error
}

// Webhooks fans webhook events out to the endpoints that want them, makes
// the redeliveries asked for from the console, and words the email about a
// failing endpoint (webhook.Deliverer).
type Webhooks interface {
	FanOut(ctx context.Context, row *admit.OutboxRow) (string, error)
	FanOutOrder(ctx context.Context, row *admit.OutboxRow, o *admit.Order) (string, error)
	Redeliver(ctx context.Context, orgID, deliveryID int64) (string, error)
	SendTest(ctx context.Context, row *admit.OutboxRow, endpointID int64) (string, error)
	FailingEmail(ctx context.Context, orgID, endpointID, deliveryID, userID int64) (to string, data email.WebhookFailingData, ok bool, err error)
}

// perform does the side effect of row, whose payload is p, with what its
// batch read.
func (h *Outbox) perform(ctx context.Context, row *admit.OutboxRow, p admit.OutboxPayload, b *batch) (string, error) {
	switch p := p.(type) {
	case admit.OrderEmail, admit.RefundEmail:
		return h.orderEmail(ctx, row, p, b)
	case admit.PasswordResetEmail:
		u, err := h.Store.FindUser(ctx, p.UserID)
		if err != nil {
			return "", err
		}
		return h.send(ctx, row, "password_reset", u.Email, "", email.LinkData{Name: u.Name, URL: h.BaseURL + p.Path}, nil)
	case admit.SignupEmail:
		return h.signupEmail(ctx, row, p)
	case admit.InvitationEmailPayload:
		inv, err := h.Store.FindInvitationEmail(ctx, row.OrganizationID, p.InvitationID)
		if admit.ErrorCode(err) == admit.ENOTFOUND {
			return "invitation revoked", nil
		} else if err != nil {
			return "", err
		}
		return h.send(ctx, row, "team_invitation", inv.Email, "", email.LinkData{Organization: inv.Organization, Name: inv.InvitedBy,
			Role: inv.Role, URL: h.BaseURL + p.Path}, nil)
	case admit.ExportBuildPayload:
		return h.Exports.Build(ctx, row.OrganizationID, p.ExportID)
	case admit.WaitlistOfferPayload:
		return h.waitlistOffer(ctx, row, p)
	case admit.RefundPayment:
		return "refunded", h.Refunds.PerformRefund(ctx, row.OrganizationID, p.RefundID)
	case admit.WebhookFailingPayload:
		if h.Webhooks == nil {
			return "no webhook endpoints", nil
		}
		to, data, ok, err := h.Webhooks.FailingEmail(ctx, row.OrganizationID, p.EndpointID, p.DeliveryID, p.UserID)
		if err != nil || !ok {
			return "endpoint deleted or member gone", err
		}
		return h.send(ctx, row, "webhook_failing", to, "", data, nil)
	case admit.WebhookTestPayload:
		if h.Webhooks == nil {
			return "no webhook endpoints", nil
		}
		return h.Webhooks.SendTest(ctx, row, p.EndpointID)
	case admit.RedeliveryPayload:
		if h.Webhooks == nil {
			return "no webhook endpoints", nil
		}
		return h.Webhooks.Redeliver(ctx, row.OrganizationID, p.DeliveryID)
	case admit.WebhookEvent:
		switch {
		case h.Webhooks == nil:
			return "no webhook endpoints", nil
		case !row.Subscribed:
			// Read with the row: most organizations have no endpoint,
			// and their events cost nothing more.
			return "no endpoint subscribed", nil
		}
		if o := b.order(row, p); o != nil {
			return h.Webhooks.FanOutOrder(ctx, row, o)
		}
		return h.Webhooks.FanOut(ctx, row)
	}
	return "", fmt.Errorf("no handler for side effect %q", row.Kind)
}

// waitlistOffer tells a waiting-list entry that tickets are held for it,
// and until when.
func (h *Outbox) waitlistOffer(ctx context.Context, row *admit.OutboxRow, p admit.WaitlistOfferPayload) (string, error) {
	offer, err := h.Store.FindWaitlistOffer(ctx, row.OrganizationID, p.EntryID)
	if err != nil {
		return "", err
	}
	ev, err := h.event(ctx, row.OrganizationID, offer.EventID)
	if err != nil {
		return "", err
	}
	return h.send(ctx, row, "waitlist_offer", offer.Email, ev.ContactEmail, email.OfferData{Organization: offer.Organization,
		Name: offer.Name, Event: ev.Name, TicketType: offer.TicketType, URL: h.BaseURL + "/checkout/" + offer.HoldID,
		Until: offer.ExpiresAt.In(ev.Location()).Format("Monday 2 January 2006, 15:04") + " (" + ev.TimeZone + ")"}, nil)
}

// orderEmail sends the confirmation, the refund notice, or for a pending
// offline order the payment instructions.
func (h *Outbox) orderEmail(ctx context.Context, row *admit.OutboxRow, p admit.OutboxPayload, b *batch) (string, error) {
	o := b.order(row, p)
	if o == nil {
		return "", fmt.Errorf("order %d of organization %d not found", orderOf(p), row.OrganizationID)
	}
	switch {
	case row.Kind == admit.KindOrderPlaced && (o.Status != admit.OrderPending || o.PaymentProvider != admit.PaymentOffline):
		return "not an offline order", nil // free and card orders get their confirmation when paid
	case row.Kind == admit.KindPaymentReminder && (o.Status != admit.OrderPending || o.PaymentProvider != admit.PaymentOffline):
		return "order no longer awaiting payment", nil
	case row.Kind == admit.KindOrderConfirmation && o.Status != admit.OrderPaid:
		return "order no longer paid", nil
	}
	ev, org := b.events[eventKey{o.OrganizationID, o.EventID}], b.orgs[o.OrganizationID]
	if ev == nil || org == nil {
		return "", fmt.Errorf("event %d or organization %d of order %d not found", o.EventID, o.OrganizationID, o.ID)
	}
	when := b.when[eventKey{o.OrganizationID, o.EventID}]
	data := email.OrderData{Organization: org.Name, Event: ev, When: when, Order: o,
		OrderURL: h.BaseURL + "/o/" + o.Reference + "?token=" + o.AccessToken,
		Total:    admit.FormatAmount(o.Total, o.Currency), Instructions: h.Instructions}
	data.TicketsURL = h.BaseURL + "/o/" + o.Reference + "/tickets?token=" + o.AccessToken
	data.Payment = admit.PaymentDetailsFor(ev, o, h.Instructions)
	kind := "order_confirmation"
	var attachments []email.Attachment
	var err error
	switch p := p.(type) {
	case admit.OrderEmail:
		switch p.Kind {
		case admit.KindOrderPlaced:
			kind = "order_placed"
		case admit.KindPaymentReminder:
			kind = "payment_reminder"
		case admit.KindOrderCancelled:
			kind = "order_cancelled"
		default:
			if attachments, err = h.ticketFiles(ctx, ev, o, when, data.OrderURL); err != nil {
				return "", err
			}
		}
	case admit.RefundEmail:
		kind = "order_refunded"
		r, _, err := h.Store.FindRefund(ctx, row.OrganizationID, p.RefundID)
		if err != nil {
			return "", err
		}
		data.Refund, data.RefundCount = admit.FormatAmount(r.Amount, o.Currency), r.Tickets
	}
	return h.sendAs(ctx, row, org.Name, kind, o.BuyerEmail, ev.ContactEmail, data, attachments)
}

// ticketFiles are the confirmation's attachments: the tickets as a PDF and
// the event for a calendar.
func (h *Outbox) ticketFiles(ctx context.Context, ev *admit.Event, o *admit.Order, when, orderURL string) ([]email.Attachment, error) {
	// The QR codes carry the codes signed with the event's key, which the
	// door's phone verifies offline. One key per event, cached: signing
	// adds no query per ticket.
	key, err := h.ticketKey(ctx, ev.OrganizationID, ev.ID)
	if err != nil {
		return nil, err
	}
	for i := range o.Tickets {
		o.Tickets[i].QR = key.Sign(o.Tickets[i].TicketTypeID, o.Tickets[i].Code)
	}
	pdf, err := email.TicketsPDF(ev, o, when)
	if err != nil {
		return nil, err
	}
	return []email.Attachment{
		{Name: "tickets-" + o.Reference + ".pdf", ContentType: "application/pdf", Data: pdf},
		{Name: "event.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: email.EventICS(ev, orderURL)},
	}, nil
}

func (h *Outbox) send(ctx context.Context, row *admit.OutboxRow, kind, to, replyTo string, data any, attachments []email.Attachment) (string, error) {
	return h.sendAs(ctx, row, "", kind, to, replyTo, data, attachments)
}

// sendAs sends with the sender's name set to senderName (the organizer),
// keeping the configured sender address, so buyers see who writes. The
// send has its own timeout: a slow answer from SES fails this email only.
func (h *Outbox) sendAs(ctx context.Context, row *admit.OutboxRow, senderName, kind, to, replyTo string, data any, attachments []email.Attachment) (string, error) {
	subject, text, html, err := h.Emails.Render(kind, data)
	if err != nil {
		return "", err
	}
	from := h.MailFrom
	if a, err := netmail.ParseAddress(h.MailFrom); err == nil && senderName != "" {
		from = (&netmail.Address{Name: senderName, Address: a.Address}).String()
	}
	ctx, cancel := context.WithTimeout(ctx, h.SendTimeout)
	defer cancel()
	id, err := h.Mailer.Send(ctx, email.Message{From: from, To: to, ReplyTo: replyTo, Subject: subject, Text: text, HTML: html,
		Attachments: attachments, Headers: map[string]string{"X-Admit-Outbox-Id": strconv.FormatInt(row.ID, 10)}})
	if err != nil {
		return "", err
	}
	return "ses:" + id, nil
}

// When formats the event's dates in its time zone for emails.
func When(ev *admit.Event) string {
	loc := ev.Location()
	s := ev.StartsAt.In(loc).Format("Monday 2 January 2006, 15:04")
	if !ev.EndsAt.IsZero() {
		s += " – " + ev.EndsAt.In(loc).Format("Monday 2 January 2006, 15:04")
	}
	return s + " (" + ev.TimeZone + ")"
}
