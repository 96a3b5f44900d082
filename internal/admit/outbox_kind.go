package admit

import (
	"encoding/json"
	"fmt"
	"strings"
)

// OutboxKind names a side effect the outbox performs after the transaction
// that recorded it commits: an email, a refund at the provider, an export,
// a webhook event. Each kind has one payload type (OutboxPayload), which
// names it, so a row's kind and payload cannot disagree.
type OutboxKind string

// The kinds of side effect, with their payload types.
const (
	KindOrderPlaced       OutboxKind = "order.placed"             // OrderEmail: a pending offline order's payment instructions
	KindOrderConfirmation OutboxKind = "email.order_confirmation" // OrderEmail: the paid order's tickets
	KindOrderCancelled    OutboxKind = "email.order_cancelled"    // OrderEmail
	KindPaymentReminder   OutboxKind = "email.payment_reminder"   // OrderEmail: an unpaid offline order is due soon
	KindOrderRefunded     OutboxKind = "email.order_refunded"     // RefundEmail
	KindRefund            OutboxKind = "payment.refund"           // RefundPayment: the money back at the provider
	KindPasswordReset     OutboxKind = "email.password_reset"     // PasswordResetEmail
	KindSignupConfirm     OutboxKind = "email.signup_confirm"     // SignupEmail: the link that creates the organization
	KindSignupExists      OutboxKind = "email.signup_exists"      // SignupEmail: the address has an account already
	KindTeamInvitation    OutboxKind = "email.team_invitation"    // InvitationEmailPayload
	KindWaitlistOffer     OutboxKind = "email.waitlist_offer"     // WaitlistOfferPayload
	KindWebhookFailing    OutboxKind = "email.webhook_failing"    // WebhookFailingPayload
	KindWebhookRedeliver  OutboxKind = "webhook.redeliver"        // RedeliveryPayload
	KindExportBuild       OutboxKind = "export.build"             // ExportBuildPayload
	KindWebhookTest       OutboxKind = "endpoint.test"            // WebhookTestPayload: a webhook.test event to one endpoint
	webhookKindPrefix                = "webhook."                 // + an event type: WebhookEvent
)

// WebhookEventType is the webhook event type a kind announces ("order.paid"
// for "webhook.order.paid"), and whether it is one.
func (k OutboxKind) WebhookEventType() (string, bool) {
	if k == KindWebhookRedeliver {
		return "", false
	}
	return strings.CutPrefix(string(k), webhookKindPrefix)
}

// IsOrderEmail reports whether k is an email about an order, which the
// worker reads the order for.
func (k OutboxKind) IsOrderEmail() bool {
	switch k {
	case KindOrderPlaced, KindOrderConfirmation, KindOrderCancelled, KindOrderRefunded, KindPaymentReminder:
		return true
	}
	return false
}

// OutboxPayload is what one kind of side effect carries.
type OutboxPayload interface {
	OutboxKind() OutboxKind
}

// OrderEmail is the payload of the emails about an order: placed,
// confirmation (Resend when the organizer asked for it again) and
// cancellation.
type OrderEmail struct {
	Kind    OutboxKind `json:"-"`
	OrderID int64      `json:"order_id"`
	Resend  bool       `json:"resend,omitempty"`
}

// RefundEmail tells the buyer about a refund of their order.
type RefundEmail struct {
	OrderID  int64 `json:"order_id"`
	RefundID int64 `json:"refund_id"`
}

// RefundPayment returns a refund's money at the payment provider.
type RefundPayment struct {
	RefundID int64 `json:"refund_id"`
}

// PasswordResetEmail sends a user the link (Path) that resets a password.
type PasswordResetEmail struct {
	UserID int64  `json:"user_id"`
	Path   string `json:"path"`
}

// SignupEmail is a sign-up's email. It carries all it needs, since a
// sign-up has no account yet.
type SignupEmail struct {
	Kind  OutboxKind `json:"-"`
	Email string     `json:"email"`
	Name  string     `json:"name"`
	Path  string     `json:"path,omitempty"`
}

// InvitationEmailPayload invites someone to an organization's team.
type InvitationEmailPayload struct {
	InvitationID int64  `json:"invitation_id"`
	Path         string `json:"path"`
}

// WaitlistOfferPayload tells a waiting-list entry that tickets are held for it.
type WaitlistOfferPayload struct {
	EntryID int64 `json:"entry_id"`
}

// WebhookFailingPayload tells an organization's member that an endpoint is
// failing.
type WebhookFailingPayload struct {
	EndpointID int64 `json:"endpoint_id"`
	DeliveryID int64 `json:"delivery_id"`
	UserID     int64 `json:"user_id"`
}

// RedeliveryPayload delivers a webhook delivery again, as asked for.
type RedeliveryPayload struct {
	DeliveryID int64 `json:"delivery_id"`
}

// WebhookTestPayload sends a webhook.test event to one endpoint, as its
// organizer asked, whatever the endpoint subscribed to.
type WebhookTestPayload struct {
	EndpointID int64 `json:"endpoint_id"`
}

// ExportBuildPayload builds an export's file.
type ExportBuildPayload struct {
	ExportID int64 `json:"export_id"`
}

// WebhookEvent is a webhook event of Type about an order (OrderID, and
// RefundID for a refund), a ticket (TicketID), an event (EventID) or a
// waiting-list entry (WaitlistEntryID).
type WebhookEvent struct {
	Type            string `json:"-"`
	OrderID         int64  `json:"order_id,omitempty"`
	RefundID        int64  `json:"refund_id,omitempty"`
	TicketID        int64  `json:"ticket_id,omitempty"`
	EventID         int64  `json:"event_id,omitempty"`
	WaitlistEntryID int64  `json:"waitlist_entry_id,omitempty"`
}

// OutboxKind implements OutboxPayload.
func (p OrderEmail) OutboxKind() OutboxKind { return p.Kind }

// OutboxKind implements OutboxPayload.
func (RefundEmail) OutboxKind() OutboxKind { return KindOrderRefunded }

// OutboxKind implements OutboxPayload.
func (RefundPayment) OutboxKind() OutboxKind { return KindRefund }

// OutboxKind implements OutboxPayload.
func (PasswordResetEmail) OutboxKind() OutboxKind { return KindPasswordReset }

// OutboxKind implements OutboxPayload.
func (p SignupEmail) OutboxKind() OutboxKind { return p.Kind }

// OutboxKind implements OutboxPayload.
func (InvitationEmailPayload) OutboxKind() OutboxKind { return KindTeamInvitation }

// OutboxKind implements OutboxPayload.
func (WaitlistOfferPayload) OutboxKind() OutboxKind { return KindWaitlistOffer }

// OutboxKind implements OutboxPayload.
func (WebhookFailingPayload) OutboxKind() OutboxKind { return KindWebhookFailing }

// OutboxKind implements OutboxPayload.
func (RedeliveryPayload) OutboxKind() OutboxKind { return KindWebhookRedeliver }

// OutboxKind implements OutboxPayload.
func (ExportBuildPayload) OutboxKind() OutboxKind { return KindExportBuild }

// OutboxKind implements OutboxPayload.
func (WebhookTestPayload) OutboxKind() OutboxKind { return KindWebhookTest }

// OutboxKind implements OutboxPayload.
func (e WebhookEvent) OutboxKind() OutboxKind { return OutboxKind(webhookKindPrefix + e.Type) }

// DecodeOutbox reads the payload of a row of kind k into its type.
func DecodeOutbox(k OutboxKind, b []byte) (OutboxPayload, error) {
	var p OutboxPayload
	var err error
	switch k {
	case KindOrderPlaced, KindOrderConfirmation, KindOrderCancelled, KindPaymentReminder:
		v := OrderEmail{Kind: k}
		err = json.Unmarshal(b, &v)
		p = v
	case KindOrderRefunded:
		p, err = decodeAs[RefundEmail](b)
	case KindRefund:
		p, err = decodeAs[RefundPayment](b)
	case KindPasswordReset:
		p, err = decodeAs[PasswordResetEmail](b)
	case KindSignupConfirm, KindSignupExists:
		v := SignupEmail{Kind: k}
		err = json.Unmarshal(b, &v)
		p = v
	case KindTeamInvitation:
		p, err = decodeAs[InvitationEmailPayload](b)
	case KindWaitlistOffer:
		p, err = decodeAs[WaitlistOfferPayload](b)
	case KindWebhookFailing:
		p, err = decodeAs[WebhookFailingPayload](b)
	case KindWebhookRedeliver:
		p, err = decodeAs[RedeliveryPayload](b)
	case KindExportBuild:
		p, err = decodeAs[ExportBuildPayload](b)
	case KindWebhookTest:
		p, err = decodeAs[WebhookTestPayload](b)
	default:
		t, ok := k.WebhookEventType()
		if !ok {
			return nil, fmt.Errorf("unknown outbox kind %q", k)
		}
		v := WebhookEvent{Type: t}
		err = json.Unmarshal(b, &v)
		p = v
	}
	if err != nil {
		return nil, fmt.Errorf("outbox payload of %s: %w", k, err)
	}
	return p, nil
}

func decodeAs[T OutboxPayload](b []byte) (OutboxPayload, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}
