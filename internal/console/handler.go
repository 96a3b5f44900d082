// Package console is the organizers' web console: accounts and sessions,
// events and their orders, check-in and the audit log. Every page is
// server-rendered and works without JavaScript; every route checks the
// member's role on the server, and every query is scoped by organization.
package console

import (
	"context"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/web"
	"github.com/admithq/admit/internal/webhook"
	"github.com/admithq/admit/templates"
)

// Store is what the console needs from storage.
type Store interface {
	WaitingRoomStore
	EventStore
	CheckInStore
	TeamStore
	ExportStore
	OpsStore
	TokenStore
	WebhookStore
	EventPublicStore
	FlagStore
	RequestSignup(ctx context.Context, s *admit.Signup, passwordHash, token, path string) error
	FindSignup(ctx context.Context, token string) (*admit.Signup, error)
	ConfirmSignup(ctx context.Context, token string) (*admit.Organization, *admit.User, error)
	FindUser(ctx context.Context, id int64) (*admit.User, error)
	FindUserByEmail(ctx context.Context, email string) (*admit.User, error)
	FindMembership(ctx context.Context, orgSlug string, userID int64) (*admit.OrganizationRole, error)
	ListMemberships(ctx context.Context, userID int64) ([]admit.OrganizationRole, error)
	ListEvents(ctx context.Context, orgID int64) ([]*admit.Event, error)
	ListEventSales(ctx context.Context, orgID int64) (map[int64]admit.EventSales, error)
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	ListTicketTypes(ctx context.Context, orgID, eventID int64, withHidden bool) ([]*admit.TicketType, error)
	SummarizeEvent(ctx context.Context, orgID, eventID int64) (admit.EventSummary, error)
	SalesByDay(ctx context.Context, orgID, eventID int64, days int) ([]admit.DaySales, error)
	ListOrders(ctx context.Context, orgID int64, f admit.OrderFilter) ([]*admit.Order, int, error)
	FindOrder(ctx context.Context, orgID, id int64) (*admit.Order, error)
	AddOrderNote(ctx context.Context, orgID, orderID, userID int64, body string) error
	OrderTimeline(ctx context.Context, orgID int64, o *admit.Order) ([]admit.OrderEvent, error)
	QueueConfirmation(ctx context.Context, orgID, orderID int64) error
	RenameAttendee(ctx context.Context, orgID, orderID, ticketID int64, a admit.Attendee) error
	ListRefunds(ctx context.Context, orgID, orderID int64) ([]admit.Refund, error)
	CreateDiscountCode(ctx context.Context, dc *admit.DiscountCode) error
	ListDiscountCodes(ctx context.Context, orgID, eventID int64) ([]*admit.DiscountCode, error)
	DeleteDiscountCode(ctx context.Context, orgID, id int64) error
	CreateQuestion(ctx context.Context, q *admit.Question) error
	ListQuestions(ctx context.Context, orgID, eventID int64) ([]*admit.Question, error)
	DeleteQuestion(ctx context.Context, orgID, id int64) error
	ListWaitlist(ctx context.Context, orgID, eventID int64) ([]admit.WaitlistEntry, error)
	AddAudit(ctx context.Context, orgID, userID int64, action, object, detail string) error
	ListAudit(ctx context.Context, orgID int64, limit int) ([]admit.AuditEntry, error)
}

// Sessions keeps console sessions (internal/redis.Sessions).
type Sessions interface {
	Create(ctx context.Context, userID int64) (id string, err error)
	Get(ctx context.Context, id string) (*admit.Session, error)
	Delete(ctx context.Context, id string) error
}

// Limiter counts attempts per key (internal/redis.Limiter): a plain rate
// (Allow, Reset) and allowances of failures (Blocked, Fail, Forgive).
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) bool
	Reset(ctx context.Context, key string)
	Blocked(ctx context.Context, counts ...admit.Failures) bool
	Fail(ctx context.Context, counts ...admit.Failures)
	Forgive(ctx context.Context, counts ...admit.Failures)
}

// Room reports on the on-sale waiting room (internal/redis.WaitingRoom).
type Room interface {
	Engagement(ctx context.Context, eventID int64) (admit.Engagement, error)
	Stats(ctx context.Context, eventID int64, now, opens time.Time, ratePerMinute int) (admit.Place, error)
}

// Options are the console's dependencies.
type Options struct {
	Store    Store
	Sessions Sessions
	Limiter  Limiter
	Checkout *checkout.Checkout
	Logger   *slog.Logger
	// SecureCookies marks cookies Secure (production, behind TLS).
	SecureCookies bool
	// Inspector reads the job queues for the operations page.
	Inspector *asynq.Inspector
	// ExportFiles serves the files of finished exports.
	ExportFiles ExportFiles
	// WebhookURLs says which webhook endpoint URLs may be saved.
	WebhookURLs webhook.URLPolicy
	// Room is the on-sale waiting room, for its figures.
	Room Room
	// Preview renders an event's public page for its organizer, a draft
	// included; nil: no preview.
	Preview Previewer
	// Operators are the email addresses of the users who operate the
	// installation (config ADMIT_OPERATORS): only they have the flags page.
	Operators []string
}

// Handler serves the console.
type Handler struct {
	store    Store
	sessions Sessions
	limiter  Limiter
	checkout *checkout.Checkout
	logger   *slog.Logger
	secure   bool
	pages    *templates.Set

	inspector   *asynq.Inspector
	exportFiles ExportFiles
	webhookURLs webhook.URLPolicy
	room        Room
	preview     Previewer
	operators   map[string]bool
}

// pages lists every console page template.
var pages = []string{"login", "signup", "signup_confirm", "orgs", "events", "event", "orders", "order", "audit", "discounts", "questions", "waitlist", "exports", "ops", "confirm", "flags"}

func allPages() []string {
	var all []string
	for _, group := range [][]string{pages, eventPages, checkInPages, teamPages, webhookPages, {"event_public"}} {
		all = append(all, group...)
	}
	return all
}

// New parses the console templates and returns the handler.
func New(o Options) (*Handler, error) {
	set, err := templates.Parse("console/layout.html", "console", allPages(), funcs())
	if err != nil {
		return nil, err
	}
	operators := map[string]bool{}
	for _, email := range o.Operators {
		operators[strings.ToLower(strings.TrimSpace(email))] = true
	}
	return &Handler{store: o.Store, sessions: o.Sessions, limiter: o.Limiter, checkout: o.Checkout, logger: o.Logger,
		secure: o.SecureCookies, pages: set, inspector: o.Inspector, exportFiles: o.ExportFiles, webhookURLs: o.WebhookURLs, room: o.Room, preview: o.Preview,
		operators: operators}, nil
}

// funcs are the shared template functions and the console's own.
func funcs() template.FuncMap {
	f := template.FuncMap{"count": count}
	for name, fn := range web.Funcs {
		f[name] = fn
	}
	return f
}

// count writes n with the noun that agrees with it: "1 order", "2 orders".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// basePage is embedded in every console page's data.
type basePage struct {
	CSRF   string
	User   *admit.User
	Org    *admit.Organization
	Role   admit.Role
	Flash  string
	Active string // navigation section
	// Operator: the user operates the installation, and the menu leads to
	// the operators' pages.
	Operator bool
}

// CanManage reports whether the member may change events and orders.
func (b basePage) CanManage() bool { return b.Role == admit.RoleOwner || b.Role == admit.RoleAdmin }

func (h *Handler) base(c echo.Context, active string) basePage {
	b := basePage{Active: active}
	b.CSRF, _ = c.Get(server.CSRFContextKey).(string)
	if m, ok := c.Get(memberKey).(*member); ok {
		b.User, b.Org, b.Role = m.user, &m.org, m.role
	} else if u, ok := c.Get(userKey).(*admit.User); ok {
		b.User = u
	}
	b.Operator = h.isOperator(b.User)
	if f, err := c.Cookie(flashCookie); err == nil {
		if msg, err := base64.RawURLEncoding.DecodeString(f.Value); err == nil && len(msg) <= 300 {
			b.Flash = string(msg)
		}
		c.SetCookie(&http.Cookie{Name: flashCookie, Path: "/console", MaxAge: -1})
	}
	return b
}

func (h *Handler) html(c echo.Context, status int, page string, data any) error {
	body, err := h.pages.Render(page, data)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, body)
}

const flashCookie = "admit_flash"

// redirectWithFlash sends the organizer on with a one-line message for the
// next page (post/redirect/get).
func (h *Handler) redirectWithFlash(c echo.Context, to, message string) error {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(message)), Path: "/console", MaxAge: 60,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, to)
}

func (h *Handler) audit(c echo.Context, action, object, detail string) {
	m := c.Get(memberKey).(*member)
	if err := h.store.AddAudit(c.Request().Context(), m.org.ID, m.user.ID, action, object, detail); err != nil {
		server.LoggerFrom(c.Request().Context()).Error("audit log write failed", "action", action, "err", err)
	}
}

// consoleTimeLayout is how the console writes a moment, always followed by
// the zone it is in: organizers read times from several events and places.
const consoleTimeLayout = "2 Jan 2006 15:04"

// formatTime writes t in loc, the zone named: "10 May 2027 09:00
// Europe/Berlin". An event's times are in the event's zone.
func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(consoleTimeLayout) + " " + loc.String()
}

// formatOrgTime writes a moment that belongs to the organization rather
// than one event (tokens, the audit log) in the same form, in UTC: an
// organization has no zone of its own.
func formatOrgTime(t time.Time) string { return formatTime(t, time.UTC) }
