// Package email renders admit's emails from templates/email and sends them
// through Amazon SES (v2 API). Locally the endpoint is the aws-ses-v2-local
// emulator started by scripts/stack.
package email

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/admithq/admit/internal/admit"
)

// Message is one email with its text and HTML bodies and attachments.
type Message struct {
	From        string
	To          string
	ReplyTo     string
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
	// Headers are extra headers, such as X-Admit-Outbox-Id, which let a
	// receiver (and the tests) tell which side effect sent the email.
	Headers map[string]string
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// SESOptions configures the SES sender.
type SESOptions struct {
	Region   string
	Endpoint string // empty: AWS's endpoint for the region
	// AccessKey and SecretKey are used when set; otherwise the AWS SDK's
	// default chain (environment, instance role) applies. The local
	// emulator accepts any.
	AccessKey, SecretKey string
}

// SES sends messages through Amazon SES.
type SES struct {
	client *sesv2.Client
}

// NewSES returns a sender for o.
func NewSES(o SESOptions) *SES {
	cfg := aws.Config{Region: o.Region, RetryMaxAttempts: 1}
	if o.AccessKey != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, "")
	}
	client := sesv2.NewFromConfig(cfg, func(opts *sesv2.Options) {
		if o.Endpoint != "" {
			opts.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	return &SES{client: client}
}

// Send hands m to SES and returns SES's message id. SES keeps no
// idempotency key: a message SES accepted is sent, so the caller records
// the returned id promptly (see jobs: with its batch, in the statement that
// marks the row done) to keep the window in which a crash could cause a
// second send short; m's X-Admit-Outbox-Id lets receivers deduplicate.
func (s *SES) Send(ctx context.Context, m Message) (string, error) {
	raw, err := m.MIME()
	if err != nil {
		return "", err
	}
	out, err := s.client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "MessageRejected" || ae.ErrorCode() == "BadRequestException") {
			// Retrying will not help: report it as final.
			return "", &admit.Error{Code: admit.EINVALID, Message: fmt.Sprintf("SES rejected the message: %s", ae.ErrorMessage())}
		}
		return "", fmt.Errorf("sending email through SES: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}

// Ping checks that SES answers (the account endpoint).
func (s *SES) Ping(ctx context.Context) error {
	_, err := s.client.GetAccount(ctx, &sesv2.GetAccountInput{})
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return nil // it answered, even if this call is not emulated
	}
	return err
}
