package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/email"
	"github.com/admithq/admit/internal/mysql"
)

// TypeOutbox is the asynq task type of every outbox side effect.
const TypeOutbox = "outbox"

// OutboxStore is what the relay and the outbox handler need from storage.
type OutboxStore interface {
	DueOutbox(ctx context.Context, redeliverAfter time.Duration, limit int) ([]mysql.OutboxRow, error)
	MarkOutboxEnqueued(ctx context.Context, ids []int64) error
	FindOutbox(ctx context.Context, id int64) (*mysql.OutboxRow, error)
	CompleteOutbox(ctx context.Context, id int64, result string) (bool, error)
	FailOutbox(ctx context.Context, id int64, cause string) error
	FindOrder(ctx context.Context, orgID, id int64) (*admit.Order, error)
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	FindOrganization(ctx context.Context, id int64) (*admit.Organization, error)
	FindUser(ctx context.Context, id int64) (*admit.User, error)
	FindRefund(ctx context.Context, orgID, id int64) (*mysql.Refund, string, error)
	FindInvitationEmail(ctx context.Context, orgID, id int64) (*mysql.InvitationEmail, error)
	FindWaitlistOffer(ctx context.Context, orgID, entryID int64) (*mysql.WaitlistOfferEmail, error)
}

// Enqueuer hands tasks to the queue (asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Tasks looks up and deletes queued tasks (asynq.Inspector).
type Tasks interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	DeleteTask(queue, id string) error
}

// Relay hands outbox rows to asynq with the row id as task id, and hands
// them again when they are not done some time after (the task may have
// been lost with Redis). Any number of relays may run: the task id makes
// a second enqueue of a waiting task a no-op.
type Relay struct {
	Store          OutboxStore
	Queue          Enqueuer
	Logger         *slog.Logger
	RedeliverAfter time.Duration
	// Tasks, if set, lets a redelivery replace a task that asynq archived
	// (gave up on) while its row is still not done: its id would otherwise
	// make every later enqueue a no-op, and the side effect would never
	// happen.
	Tasks Tasks
}

// QueueFor returns the queue of a side effect: order processing and order
// emails first, webhooks next, exports last.
func QueueFor(kind string) string {
	switch {
	case strings.HasPrefix(kind, "email.order_"), strings.HasPrefix(kind, "payment."), strings.HasPrefix(kind, "email.password"):
		return QueueCritical
	case strings.HasPrefix(kind, "export."):
		return QueueLow
	}
	return QueueDefault
}

// TaskID is the asynq task id of an outbox row.
func TaskID(outboxID int64) string { return "outbox:" + strconv.FormatInt(outboxID, 10) }

// RelayOnce enqueues every due row and returns how many it handed over.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	rows, err := r.Store.DueOutbox(ctx, r.RedeliverAfter, 500)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	ids := make([]int64, 0, len(rows))
	for _, row := range rows {
		err := r.enqueue(ctx, row)
		if errors.Is(err, asynq.ErrTaskIDConflict) && r.Tasks != nil {
			queue, id := QueueFor(row.Kind), TaskID(row.ID)
			if info, ierr := r.Tasks.GetTaskInfo(queue, id); ierr == nil && info.State == asynq.TaskStateArchived {
				r.Logger.Warn("outbox row not done but its task was given up on; handing it over again", "outbox", row.ID, "last_err", info.LastErr)
				if ierr := r.Tasks.DeleteTask(queue, id); ierr == nil {
					err = r.enqueue(ctx, row)
				}
			}
		}
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			// Redis is down: leave the rest for the next round.
			if len(ids) > 0 {
				_ = r.Store.MarkOutboxEnqueued(ctx, ids)
			}
			return len(ids), err
		}
		ids = append(ids, row.ID)
	}
	return len(ids), r.Store.MarkOutboxEnqueued(ctx, ids)
}

func (r *Relay) enqueue(ctx context.Context, row mysql.OutboxRow) error {
	payload, _ := json.Marshal(outboxTask{ID: row.ID})
	_, err := r.Queue.EnqueueContext(ctx, asynq.NewTask(TypeOutbox, payload),
		asynq.TaskID(TaskID(row.ID)), asynq.Queue(QueueFor(row.Kind)), asynq.MaxRetry(25), asynq.Timeout(2*time.Minute))
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
	ID int64 `json:"outbox_id"`
}

// Mailer sends an email and returns the provider's message id.
type Mailer interface {
	Send(ctx context.Context, m email.Message) (string, error)
}

// Refunds performs the provider side of a refund.
type Refunds interface {
	PerformRefund(ctx context.Context, orgID, refundID int64) error
}

// Outbox performs side effects. It is idempotent: a row already done is
// skipped, and an email's send is recorded (with SES's message id) in the
// same statement that marks the row done.
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
}

// Webhooks fans webhook events out to the endpoints that want them, makes
// the redeliveries asked for from the console, and words the email about a
// failing endpoint (webhook.Deliverer).
type Webhooks interface {
	FanOut(ctx context.Context, row *mysql.OutboxRow) (string, error)
	Redeliver(ctx context.Context, orgID, deliveryID int64) (string, error)
	FailingEmail(ctx context.Context, orgID, endpointID, deliveryID, userID int64) (to string, data email.WebhookFailingData, ok bool, err error)
}

// ProcessTask is the asynq handler of TypeOutbox tasks.
func (h *Outbox) ProcessTask(ctx context.Context, task *asynq.Task) error {
	var t outboxTask
	if err := json.Unmarshal(task.Payload(), &t); err != nil || t.ID == 0 {
		return fmt.Errorf("outbox task with a bad payload: %w", asynq.SkipRetry)
	}
	return h.Perform(ctx, t.ID)
}

// Perform does the side effect of outbox row id once.
func (h *Outbox) Perform(ctx context.Context, id int64) error {
	row, err := h.Store.FindOutbox(ctx, id)
	if admit.ErrorCode(err) == admit.ENOTFOUND {
		// The relay saw the row, so it exists: not finding it is a read
		// that reached a database node behind the one that committed it
		// (seen when MySQL fails over). Try again a few times before
		// deciding the task is bogus.
		if n, _ := asynq.GetRetryCount(ctx); n < 5 {
			return fmt.Errorf("outbox row %d not found (yet)", id)
		}
		return fmt.Errorf("outbox row %d: %w", id, asynq.SkipRetry)
	} else if err != nil {
		return err
	}
	if row.Done {
		return nil
	}
	result, err := h.perform(ctx, row)
	if err != nil {
		if ferr := h.Store.FailOutbox(ctx, id, err.Error()); ferr != nil {
			h.Logger.Error("recording a failed side effect", "outbox", id, "err", ferr)
		}
		return err
	}
	first, err := h.Store.CompleteOutbox(ctx, id, result)
	if err != nil {
		return err
	}
	if !first {
		h.Logger.Warn("side effect was performed twice (two workers raced)", "outbox", id, "kind", row.Kind)
	}
	return nil
}

func (h *Outbox) perform(ctx context.Context, row *mysql.OutboxRow) (string, error) {
	var p struct {
		OrderID      int64  `json:"order_id"`
		RefundID     int64  `json:"refund_id"`
		UserID       int64  `json:"user_id"`
		InvitationID int64  `json:"invitation_id"`
		EntryID      int64  `json:"entry_id"`
		Path         string `json:"path"`
		ExportID     int64  `json:"export_id"`
		EndpointID   int64  `json:"endpoint_id"`
		DeliveryID   int64  `json:"delivery_id"`
	}
	if err := json.Unmarshal(row.Payload, &p); err != nil {
		return "", fmt.Errorf("outbox %d payload: %v: %w", row.ID, err, asynq.SkipRetry)
	}
	switch {
	case row.Kind == "email.order_confirmation" || row.Kind == "email.order_refunded" || row.Kind == "email.order_cancelled" || row.Kind == "order.placed":
		return h.orderEmail(ctx, row, p.OrderID, p.RefundID)
	case row.Kind == "email.password_reset":
		u, err := h.Store.FindUser(ctx, p.UserID)
		if err != nil {
			return "", err
		}
		return h.send(ctx, row, "password_reset", u.Email, "", email.LinkData{Name: u.Name, URL: h.BaseURL + p.Path}, nil)
	case row.Kind == "email.signup_confirm" || row.Kind == "email.signup_exists":
		return h.signupEmail(ctx, row)
	case row.Kind == "email.team_invitation":
		inv, err := h.Store.FindInvitationEmail(ctx, row.OrganizationID, p.InvitationID)
		if admit.ErrorCode(err) == admit.ENOTFOUND {
			return "invitation revoked", nil
		} else if err != nil {
			return "", err
		}
		return h.send(ctx, row, "team_invitation", inv.Email, "", email.LinkData{Organization: inv.Organization, Name: inv.InvitedBy,
			Role: inv.Role, URL: h.BaseURL + p.Path}, nil)
	case row.Kind == "export.build":
		return h.Exports.Build(ctx, row.OrganizationID, p.ExportID)
	case row.Kind == "email.waitlist_offer":
		offer, err := h.Store.FindWaitlistOffer(ctx, row.OrganizationID, p.EntryID)
		if err != nil {
			return "", err
		}
		ev, err := h.Store.FindEvent(ctx, row.OrganizationID, offer.EventID)
		if err != nil {
			return "", err
		}
		return h.send(ctx, row, "waitlist_offer", offer.Email, ev.ContactEmail, email.OfferData{Organization: offer.Organization,
			Name: offer.Name, Event: ev.Name, TicketType: offer.TicketType, URL: h.BaseURL + "/checkout/" + offer.HoldID,
			Until: offer.ExpiresAt.In(ev.Location()).Format("Monday 2 January 2006, 15:04") + " (" + ev.TimeZone + ")"}, nil)
	case row.Kind == "payment.refund":
		return "refunded", h.Refunds.PerformRefund(ctx, row.OrganizationID, p.RefundID)
	case row.Kind == "email.webhook_failing" && h.Webhooks != nil:
		to, data, ok, err := h.Webhooks.FailingEmail(ctx, row.OrganizationID, p.EndpointID, p.DeliveryID, p.UserID)
		if err != nil || !ok {
			return "endpoint deleted or member gone", err
		}
		return h.send(ctx, row, "webhook_failing", to, "", data, nil)
	case row.Kind == "webhook.redeliver" && h.Webhooks != nil:
		return h.Webhooks.Redeliver(ctx, row.OrganizationID, p.DeliveryID)
	case strings.HasPrefix(row.Kind, "webhook.") && h.Webhooks != nil:
		return h.Webhooks.FanOut(ctx, row)
	case strings.HasPrefix(row.Kind, "webhook."):
		return "no webhook endpoints", nil
	}
	return "", fmt.Errorf("no handler for side effect %q", row.Kind)
}

// orderEmail sends the confirmation, the refund notice, or for a pending
// offline order the payment instructions.
func (h *Outbox) orderEmail(ctx context.Context, row *mysql.OutboxRow, orderID, refundID int64) (string, error) {
	o, err := h.Store.FindOrder(ctx, row.OrganizationID, orderID)
	if err != nil {
		return "", err
	}
	ev, err := h.Store.FindEvent(ctx, row.OrganizationID, o.EventID)
	if err != nil {
		return "", err
	}
	org, err := h.Store.FindOrganization(ctx, row.OrganizationID)
	if err != nil {
		return "", err
	}
	data := email.OrderData{Organization: org.Name, Event: ev, When: When(ev), Order: o,
		OrderURL: h.BaseURL + "/o/" + o.Reference + "?token=" + o.AccessToken,
		Total:    admit.FormatAmount(o.Total, o.Currency), Instructions: h.Instructions}
	data.TicketsURL = h.BaseURL + "/o/" + o.Reference + "/tickets?token=" + o.AccessToken
	kind := "order_confirmation"
	var attachments []email.Attachment
	switch row.Kind {
	case "order.placed":
		if o.Status != admit.OrderPending || o.PaymentProvider != admit.PaymentOffline {
			return "not an offline order", nil // free and card orders get their confirmation when paid
		}
		kind = "order_placed"
	case "email.order_cancelled":
		kind = "order_cancelled"
	case "email.order_refunded":
		kind = "order_refunded"
		r, _, err := h.Store.FindRefund(ctx, row.OrganizationID, refundID)
		if err != nil {
			return "", err
		}
		data.Refund, data.RefundCount = admit.FormatAmount(r.Amount, o.Currency), r.Tickets
	default:
		if o.Status != admit.OrderPaid {
			return "order no longer paid", nil
		}
		pdf, err := email.TicketsPDF(ev, o, data.When)
		if err != nil {
			return "", err
		}
		attachments = []email.Attachment{
			{Name: "tickets-" + o.Reference + ".pdf", ContentType: "application/pdf", Data: pdf},
			{Name: "event.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH", Data: email.EventICS(ev, data.OrderURL)},
		}
	}
	return h.sendAs(ctx, row, org.Name, kind, o.BuyerEmail, ev.ContactEmail, data, attachments)
}

func (h *Outbox) send(ctx context.Context, row *mysql.OutboxRow, kind, to, replyTo string, data any, attachments []email.Attachment) (string, error) {
	return h.sendAs(ctx, row, "", kind, to, replyTo, data, attachments)
}

// sendAs sends with the sender's name set to senderName (the organizer),
// keeping the configured sender address, so buyers see who writes.
func (h *Outbox) sendAs(ctx context.Context, row *mysql.OutboxRow, senderName, kind, to, replyTo string, data any, attachments []email.Attachment) (string, error) {
	subject, text, html, err := h.Emails.Render(kind, data)
	if err != nil {
		return "", err
	}
	from := h.MailFrom
	if a, err := netmail.ParseAddress(h.MailFrom); err == nil && senderName != "" {
		from = (&netmail.Address{Name: senderName, Address: a.Address}).String()
	}
	id, err := h.Mailer.Send(ctx, email.Message{From: from, To: to, ReplyTo: replyTo, Subject: subject, Text: text, HTML: html,
		Attachments: attachments, Headers: map[string]string{"X-Admit-Outbox-Id": strconv.FormatInt(row.ID, 10)}})
	if admit.ErrorCode(err) == admit.EINVALID {
		return "", fmt.Errorf("%v: %w", err, asynq.SkipRetry)
	}
	return "ses:" + id, err
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
