package email

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/templates"
)

// Kinds of email, each a pair of templates under templates/email: NAME.txt
// (which defines "subject" and "body") and NAME.html (the HTML body).
var Kinds = []string{"order_confirmation", "order_placed", "order_refunded", "order_cancelled", "payment_reminder", "password_reset", "signup_confirm", "signup_exists", "team_invitation", "waitlist_offer", "webhook_failing"}

// Renderer renders emails from the parsed templates.
type Renderer struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

var funcs = map[string]any{"money": admit.FormatMoney, "amount": admit.FormatAmount}

// NewRenderer parses every email template; a missing or broken one is an
// error at start.
func NewRenderer() (*Renderer, error) {
	r := &Renderer{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	layout, err := fs.ReadFile(templates.FS, "email/layout.html")
	if err != nil {
		return nil, err
	}
	for _, k := range Kinds {
		txt, err := fs.ReadFile(templates.FS, "email/"+k+".txt")
		if err != nil {
			return nil, err
		}
		t, err := texttemplate.New(k).Funcs(funcs).Parse(string(txt))
		if err != nil {
			return nil, fmt.Errorf("email template %s.txt: %w", k, err)
		}
		r.text[k] = t
		body, err := fs.ReadFile(templates.FS, "email/"+k+".html")
		if err != nil {
			return nil, err
		}
		h, err := htmltemplate.New("layout").Funcs(funcs).Parse(string(layout))
		if err == nil {
			_, err = h.Parse(string(body))
		}
		if err != nil {
			return nil, fmt.Errorf("email template %s.html: %w", k, err)
		}
		r.html[k] = h
	}
	return r, nil
}

// Render returns the subject, text and HTML of the email kind for data.
func (r *Renderer) Render(kind string, data any) (subject, text, html string, err error) {
	t, ok := r.text[kind]
	if !ok {
		return "", "", "", fmt.Errorf("no email template %q", kind)
	}
	var sb, tb, hb bytes.Buffer
	if err := t.ExecuteTemplate(&sb, "subject", data); err != nil {
		return "", "", "", err
	}
	if err := t.ExecuteTemplate(&tb, "body", data); err != nil {
		return "", "", "", err
	}
	if err := r.html[kind].ExecuteTemplate(&hb, "layout", data); err != nil {
		return "", "", "", err
	}
	return strings.TrimSpace(sb.String()), strings.TrimSpace(tb.String()) + "\n", hb.String(), nil
}

// OrderData is what the order emails show.
type OrderData struct {
	Organization string
	Event        *admit.Event
	When         string
	Order        *admit.Order
	OrderURL     string
	TicketsURL   string
	Total        string
	Instructions string
	// Payment is how to pay a pending offline order, and by when.
	Payment     admit.PaymentDetails
	Refund      string
	RefundCount int
}

// LinkData is what the account emails show.
type LinkData struct {
	Organization string
	Name         string
	Role         string
	URL          string
}

// OfferData is what the waiting-list offer shows.
type OfferData struct {
	Organization string
	Name         string
	Event        string
	TicketType   string
	URL          string
	Until        string
}

// WebhookFailingData is what the email about a failing webhook endpoint
// shows: deliveries that failed every retry, or an endpoint disabled
// because its receiver answered 410 Gone.
type WebhookFailingData struct {
	Organization string
	Name         string
	URL          string // the endpoint's
	ConsoleURL   string // the endpoint's page and delivery log
	EventType    string
	MessageID    string
	LastResult   string
	Disabled     bool
	Reason       string
}
