// Package web is the server-rendered HTML surface: the public event and
// checkout pages. Pages work without JavaScript; each page action has its
// own file, and every route is listed in routes.go.
package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/templates"
)

// Store is what the web surface needs from storage.
type Store interface {
	FindPublicEvent(ctx context.Context, orgSlug, eventSlug string) (*admit.Event, error)
	CachedPublicEvent(ctx context.Context, orgSlug, eventSlug string) (*admit.Event, error)
	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	FindOrganization(ctx context.Context, id int64) (*admit.Organization, error)
	ListPublicEvents(ctx context.Context, orgSlug string) (*admit.Organization, []*admit.Event, error)
	ListUpcomingPublicEvents(ctx context.Context, limit int) ([]admit.PublicEvent, error)
	ListTicketTypes(ctx context.Context, orgID, eventID int64, withHidden bool) ([]*admit.TicketType, error)
	FindHold(ctx context.Context, id string) (*admit.Hold, error)
	FindOrderByHold(ctx context.Context, holdID string) (*admit.Order, error)
	FindOrderForBuyer(ctx context.Context, reference, token string) (*admit.Order, error)
	RenameAttendee(ctx context.Context, orgID, orderID, ticketID int64, a admit.Attendee) error
	FindDiscountCodeByID(ctx context.Context, orgID, id int64) (*admit.DiscountCode, error)
	JoinWaitlist(ctx context.Context, e *admit.WaitlistEntry) error
	TicketKey(ctx context.Context, orgID, eventID int64) (*admit.TicketKey, error)
}

// PageCache caches rendered pages; every failure is a miss.
type PageCache interface {
	Get(key string) ([]byte, bool)
	Set(key string, value []byte, ttl time.Duration)
}

// Options are the web surface's dependencies.
type Options struct {
	Store        Store
	Cache        PageCache
	Checkout     *checkout.Checkout
	PageCacheTTL time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
	// SecureCookies marks every cookie Secure (production, behind TLS).
	SecureCookies bool
	// OfflineInstructions tell buyers how to pay offline.
	OfflineInstructions string
	// Queue is the on-sale waiting room.
	Queue Queue
	// Codes limits wrong discount codes; nil: not limited.
	Codes *checkout.CodeGuard
	// Flags says which features are on for an organization; nil: none.
	Flags Flags
	// Registry receives the checkout's metrics by flag state; nil: none.
	Registry prometheus.Registerer
}

// Handler serves the HTML pages.
type Handler struct {
	store    Store
	cache    PageCache
	checkout *checkout.Checkout
	ttl      time.Duration
	logger   *slog.Logger
	now      func() time.Time
	pages    *templates.Set
	secure   bool
	offline  string
	queue    Queue
	codes    *checkout.CodeGuard
	local    *localCache[cachedPage]
	// events keeps the queue page's event lookups for a second: every
	// visitor in the queue asks again every few seconds.
	events  *localCache[admit.Event]
	flags   Flags
	metrics *checkoutMetrics
}

// New parses the templates and returns the handler; a broken template is an
// error here, at start.
func New(o Options) (*Handler, error) {
	pages, err := newEngine()
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Codes == nil {
		o.Codes = checkout.NewCodeGuard(o.Checkout, nil)
	}
	// In-process copies live a second at most, and no longer than the
	// rendered page is cached.
	localTTL := min(time.Second, max(o.PageCacheTTL, time.Millisecond))
	return &Handler{store: o.Store, cache: o.Cache, checkout: o.Checkout, ttl: o.PageCacheTTL, logger: o.Logger, now: o.Now,
		pages: pages, secure: o.SecureCookies, offline: o.OfflineInstructions, queue: o.Queue, codes: o.Codes,
		local:  newLocalCache[cachedPage](localTTL, 1000),
		events: newLocalCache[admit.Event](localTTL, 1000),
		flags:  o.Flags, metrics: newCheckoutMetrics(o.Registry)}, nil
}

// basePage is embedded in every page's data.
type basePage struct {
	// RequestID is shown on error pages only, for a buyer to quote to
	// support; elsewhere it is noise.
	RequestID string
	// CSRF is the token every form posts back as _csrf.
	CSRF string
	// Home is where the header's link leads: the buyer's own event or
	// organization, never another organizer's; empty is the start page.
	Home string
	// Meta describes the page to search engines and link previews.
	Meta pageMeta
}

// pageMeta is what a shared link's preview shows (Open Graph).
type pageMeta struct {
	Description string
	Title       string
	Image       string
	URL         string
}

func newBase(c echo.Context) basePage {
	token, _ := c.Get(csrfContextKey).(string)
	return basePage{CSRF: token}
}

func (h *Handler) html(c echo.Context, status int, page string, data any) error {
	body, err := h.pages.Render(page, data)
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, body)
}

type errorPage struct {
	Base    basePage
	Status  int
	Heading string
	Message string
	// Link and LinkText lead on from the error: the event the checkout
	// was for, or the start page.
	Link     string
	LinkText string
}

// RenderError renders the error page; the central error handler calls it for
// every HTML request that failed.
func (h *Handler) RenderError(c echo.Context, status int, message string) error {
	heading := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		heading, message = "Not found", "There is nothing here. The link may be mistyped, or the page was removed."
	case http.StatusInternalServerError:
		heading = "Something went wrong"
	}
	return h.renderError(c, errorPage{Status: status, Heading: heading, Message: message})
}

// renderError renders p, leading back to the start unless p names a link.
func (h *Handler) renderError(c echo.Context, p errorPage) error {
	p.Base = newBase(c)
	p.Base.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	if p.Link == "" {
		p.Link, p.LinkText = "/", "Back to the start"
	}
	p.Base.Home = p.Link
	return h.html(c, p.Status, "error", p)
}

// staticFS serves templates/static under /static.
func staticFS() http.FileSystem {
	sub, err := fs.Sub(templates.FS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return http.FS(sub)
}
