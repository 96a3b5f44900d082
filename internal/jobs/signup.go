package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/email"
)

// signupEmail sends the email a sign-up asked for: the link that creates
// the organization (email.signup_confirm), or, when the address has an
// account already, a note saying so with the ways in (email.signup_exists).
// The payload carries all it needs, because a sign-up has no account yet.
func (h *Outbox) signupEmail(ctx context.Context, row *admit.OutboxRow, p admit.SignupEmail) (string, error) {
	if p.Email == "" {
		return "", fmt.Errorf("outbox %d: a sign-up email without an address: %w", row.ID, asynq.SkipRetry)
	}
	kind := strings.TrimPrefix(string(row.Kind), "email.")
	data := email.LinkData{Name: p.Name, URL: strings.TrimRight(h.BaseURL, "/") + p.Path}
	return h.send(ctx, row, kind, p.Email, "", data, nil)
}
