package admit_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// TestOutboxPayloadsRoundTrip: every kind's payload, written as the ledger
// writes it, reads back as the same payload of the same kind, so what the
// worker performs is what the transaction recorded.
func TestOutboxPayloadsRoundTrip(t *testing.T) {
	payloads := []admit.OutboxPayload{
		admit.OrderEmail{Kind: admit.KindOrderPlaced, OrderID: 1},
		admit.OrderEmail{Kind: admit.KindOrderConfirmation, OrderID: 2, Resend: true},
		admit.OrderEmail{Kind: admit.KindOrderCancelled, OrderID: 3},
		admit.OrderEmail{Kind: admit.KindPaymentReminder, OrderID: 3},
		admit.RefundEmail{OrderID: 4, RefundID: 5},
		admit.RefundPayment{RefundID: 6},
		admit.PasswordResetEmail{UserID: 7, Path: "/console/reset/x"},
		admit.SignupEmail{Kind: admit.KindSignupConfirm, Email: "a@example.com", Name: "A", Path: "/signup/x"},
		admit.SignupEmail{Kind: admit.KindSignupExists, Email: "b@example.com", Name: "B"},
		admit.InvitationEmailPayload{InvitationID: 8, Path: "/invitations/x"},
		admit.WaitlistOfferPayload{EntryID: 9},
		admit.WebhookFailingPayload{EndpointID: 10, DeliveryID: 11, UserID: 12},
		admit.RedeliveryPayload{DeliveryID: 13},
		admit.ExportBuildPayload{ExportID: 14},
		admit.WebhookTestPayload{EndpointID: 18},
		admit.WebhookEvent{Type: "order.refunded", OrderID: 15, RefundID: 16},
		admit.WebhookEvent{Type: "ticket.updated", TicketID: 17},
	}
	seen := map[admit.OutboxKind]bool{}
	for _, p := range payloads {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := admit.DecodeOutbox(p.OutboxKind(), b)
		if err != nil {
			t.Errorf("%s: %v", p.OutboxKind(), err)
			continue
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("%s %s read back as %#v, want %#v", p.OutboxKind(), b, got, p)
		}
		seen[p.OutboxKind()] = true
	}
	for _, k := range []admit.OutboxKind{admit.KindOrderPlaced, admit.KindOrderConfirmation, admit.KindOrderCancelled, admit.KindPaymentReminder,
		admit.KindOrderRefunded, admit.KindRefund, admit.KindPasswordReset, admit.KindSignupConfirm, admit.KindSignupExists,
		admit.KindTeamInvitation, admit.KindWaitlistOffer, admit.KindWebhookFailing, admit.KindWebhookRedeliver, admit.KindExportBuild, admit.KindWebhookTest} {
		if !seen[k] {
			t.Errorf("kind %s has no payload in this test", k)
		}
	}
	if _, err := admit.DecodeOutbox("email.nothing_like_it", []byte(`{}`)); err == nil {
		t.Error("an unknown kind decoded")
	}
	if et, ok := admit.OutboxKind("webhook.order.paid").WebhookEventType(); !ok || et != "order.paid" {
		t.Errorf("webhook.order.paid announces %q, %v", et, ok)
	}
	if _, ok := admit.KindWebhookRedeliver.WebhookEventType(); ok {
		t.Error("a redelivery is no webhook event of its own")
	}
}
