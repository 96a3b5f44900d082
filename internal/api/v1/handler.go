// Package v1 is the integrators' REST API under /api/v1: tokens with
// scopes, keyset pages, Idempotency-Keys, and an OpenAPI document that a
// test holds to every route and response. Every route is listed in
// routes.go.
package v1

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/api"
	"github.com/admithq/admit/internal/checkout"
	"github.com/admithq/admit/internal/server"
	"github.com/admithq/admit/internal/webhook"
)

// Store is what the integrators' API needs from storage. Every method
// takes the token's organization: tenant isolation lives in the queries.
type Store interface {
	AuthenticateAPIToken(ctx context.Context, secret string) (*admit.APIToken, error)
	AddAudit(ctx context.Context, orgID, userID int64, action, object, detail string) error

	FindEvent(ctx context.Context, orgID, id int64) (*admit.Event, error)
	ListEventsPage(ctx context.Context, orgID int64, p admit.Page) ([]*admit.Event, bool, error)
	ListTicketTypes(ctx context.Context, orgID, eventID int64, withHidden bool) ([]*admit.TicketType, error)
	FindTicketTypeByID(ctx context.Context, orgID, id int64) (*admit.TicketType, error)

	ListOrdersPage(ctx context.Context, orgID int64, q admit.OrderQuery) ([]*admit.OrderRecord, bool, error)
	FindOrderRecord(ctx context.Context, orgID, id int64, withLines, withTickets bool) (*admit.OrderRecord, error)

	ListTicketsPage(ctx context.Context, orgID, eventID int64, p admit.Page) ([]admit.TicketRecord, bool, error)
	FindTicketRecord(ctx context.Context, orgID, id int64) (*admit.TicketRecord, error)
	RenameAttendee(ctx context.Context, orgID, orderID, ticketID int64, a admit.Attendee) error

	ListCheckInLists(ctx context.Context, orgID, eventID int64) ([]*admit.CheckInList, error)
	FindCheckInList(ctx context.Context, orgID, id int64) (*admit.CheckInList, error)
	ListCheckInListTickets(ctx context.Context, orgID, listID int64, p admit.Page) ([]admit.ListTicket, bool, error)
	ListCheckInsPage(ctx context.Context, orgID, listID int64, p admit.Page) ([]*admit.CheckIn, bool, error)
	CheckIn(ctx context.Context, orgID, listID int64, code string, userID int64) (*admit.CheckInResult, error)
	UndoCheckIn(ctx context.Context, orgID, listID, checkInID, userID int64) (*admit.CheckIn, bool, error)

	ListDiscountCodesPage(ctx context.Context, orgID, eventID int64, p admit.Page) ([]*admit.DiscountCode, bool, error)
	CreateDiscountCode(ctx context.Context, dc *admit.DiscountCode) error
	ListQuestions(ctx context.Context, orgID, eventID int64) ([]*admit.Question, error)

	v1WaitlistStore
	v1ExportStore
	v1WebhookStore

	BeginIdempotent(ctx context.Context, k admit.IdempotencyKey, hash []byte) (*admit.StoredResponse, error)
	FinishIdempotent(ctx context.Context, k admit.IdempotencyKey, status int, body []byte) error
	AbandonIdempotent(ctx context.Context, k admit.IdempotencyKey) error
}

// RateLimiter counts requests per key in a window (internal/redis.Limiter).
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) bool
}

// Options configure the integrators' REST API under /api/v1.
type Options struct {
	Store    Store // nil: the API is not served
	Checkout *checkout.Checkout
	Logger   *slog.Logger
	// Limiter counts each token's requests; nil: no rate limit.
	Limiter RateLimiter
	// RateLimit requests per RateWindow are allowed per token: 600 a
	// minute unless set.
	RateLimit  int
	RateWindow time.Duration
	// ExportFiles serves the files of finished exports; nil: exports
	// cannot be downloaded through the API.
	ExportFiles ExportFiles
	// WebhookURLs says which webhook endpoint URLs may be saved.
	WebhookURLs webhook.URLPolicy
}

// Handler serves the integrators' API.
type Handler struct {
	store    Store
	checkout *checkout.Checkout
	logger   *slog.Logger
	v1       Options
}

// New returns the integrators' API's handler.
func New(o Options) *Handler {
	return &Handler{store: o.Store, checkout: o.Checkout, logger: o.Logger, v1: o}
}

const tokenKey = "api_v1_token"

// v1Token returns the request's token, set by v1Authenticate.
func v1Token(c echo.Context) *admit.APIToken { return c.Get(tokenKey).(*admit.APIToken) }

// v1Authenticate looks the bearer token up on every request (no cache, so a
// revoked token stops at once). A missing or unknown token is 401; repeated
// failures from one address are slowed down with 429.
func (h *Handler) v1Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, secret, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		secret = strings.TrimSpace(secret)
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="admit"`)
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return admit.Errorf(admit.EUNAUTHORIZED, "Send an API token as \"Authorization: Bearer adm_…\"; organization owners and admins create them in the console under API tokens.")
		}
		ctx := c.Request().Context()
		tok, err := h.v1.Store.AuthenticateAPIToken(ctx, secret)
		if admit.ErrorCode(err) == admit.EUNAUTHORIZED && h.v1.Limiter != nil &&
			!h.v1.Limiter.Allow(ctx, "api-auth-failures:"+c.RealIP(), 100, time.Minute) {
			c.Response().Header().Set("Retry-After", "60")
			return admit.Errorf(admit.ERATELIMITED, "Too many requests with invalid API tokens. Retry in a minute.")
		}
		if err != nil {
			return err
		}
		c.Response().Header().Del(echo.HeaderWWWAuthenticate)
		c.Set(tokenKey, tok)
		return next(c)
	}
}

// v1RateLimit allows each token RateLimit requests per window. Windows are
// aligned to the clock, so Retry-After tells the client exactly when the
// next one starts.
func (h *Handler) v1RateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.v1.Limiter == nil {
			return next(c)
		}
		limit, window := h.v1.RateLimit, h.v1.RateWindow
		if limit <= 0 {
			limit = 600
		}
		if window <= 0 {
			window = time.Minute
		}
		now := time.Now()
		n := now.UnixNano() / int64(window)
		key := "api-rate:" + strconv.FormatInt(v1Token(c).ID, 10) + ":" + strconv.FormatInt(n, 10)
		c.Response().Header().Set("RateLimit-Limit", strconv.Itoa(limit))
		if !h.v1.Limiter.Allow(c.Request().Context(), key, limit, window) {
			resetIn := time.Unix(0, (n+1)*int64(window)).Sub(now)
			seconds := max(1, int((resetIn+time.Second-1)/time.Second))
			c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
			return &admit.Error{Code: admit.ERATELIMITED,
				Message: fmt.Sprintf("This token made more than %d requests in %s. Retry after %d seconds.", limit, window, seconds),
				Detail:  map[string]int{"limit": limit, "retry_after": seconds}}
		}
		return next(c)
	}
}

// v1Require lets the request through if the token has one of scopes.
func v1Require(scopes ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			tok := v1Token(c)
			for _, s := range scopes {
				if tok.Has(s) {
					return next(c)
				}
			}
			return &admit.Error{Code: admit.EFORBIDDEN, Message: "This token lacks the scope this request needs: " + strings.Join(scopes, " or ") + ".",
				Detail: map[string]any{"required_scopes": scopes, "token_scopes": tok.Scopes}}
		}
	}
}

// v1Idempotent gives every POST, PATCH and DELETE the Idempotency-Key
// semantics of the checkout API, per token: the first response is stored
// and replayed for repeats, the same key with another request is 422, a
// repeat while the first runs is 409 (with Retry-After), and a 5xx is not
// stored, so a retry runs again. The response is held back until it is
// stored, so a client never sees an answer its retry cannot replay.
func (h *Handler) v1Idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		key := req.Header.Get("Idempotency-Key")
		if req.Method == http.MethodGet || key == "" {
			return next(c)
		}
		if len(key) > 255 || !api.Printable(key) {
			return admit.FieldError("Idempotency-Key", "The Idempotency-Key must be 1 to 255 printable characters.")
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return api.ReadError(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		ctx := req.Context()
		tok := v1Token(c)
		sum := sha256.Sum256(append([]byte(req.Method+" "+req.URL.RequestURI()+"\n"+req.Header.Get(echo.HeaderContentType)+"\n"), body...))
		k := admit.IdempotencyKey{OrganizationID: tok.OrganizationID, Scope: "api:" + strconv.FormatInt(tok.ID, 10), Key: key}
		stored, err := h.store.BeginIdempotent(ctx, k, sum[:])
		if admit.ErrorCode(err) == admit.ECONFLICT {
			c.Response().Header().Set("Retry-After", "1")
		}
		if err != nil {
			return err
		}
		if stored != nil {
			c.Response().Header().Set("Idempotent-Replayed", "true")
			if len(stored.Body) == 0 {
				return c.NoContent(stored.Status)
			}
			return c.JSONBlob(stored.Status, stored.Body)
		}

		res := c.Response()
		orig := res.Writer
		buf := &heldResponse{header: orig.Header()}
		res.Writer = buf
		finished := false
		defer func() {
			res.Writer = orig
			if !finished {
				// A panic: release the key, and let the error handler
				// answer as if nothing had been written.
				res.Committed, res.Size = false, 0
				if err := h.store.AbandonIdempotent(context.WithoutCancel(ctx), k); err != nil {
					server.LoggerFrom(ctx).Error("releasing idempotency key failed", "err", err)
				}
			}
		}()
		if err := next(c); err != nil {
			c.Error(err)
		}
		finished = true
		status := buf.status
		if status == 0 {
			status = http.StatusOK
		}
		if status >= 500 {
			err = h.store.AbandonIdempotent(context.WithoutCancel(ctx), k)
		} else {
			err = h.store.FinishIdempotent(context.WithoutCancel(ctx), k, status, buf.body.Bytes())
		}
		if err != nil {
			// The change is made; the client gets its answer. A repeat
			// finds the key unfinished and gets 409 until it is taken over.
			server.LoggerFrom(ctx).Error("storing the idempotent response failed", "err", err)
		}
		orig.WriteHeader(status)
		_, err = orig.Write(buf.body.Bytes())
		return err
	}
}

// heldResponse holds a response back until the idempotency layer stored it.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *heldResponse) Header() http.Header { return w.header }

func (w *heldResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *heldResponse) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// v1ID parses an id from the path; anything else is no such object.
func v1ID(c echo.Context, param, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(param), 10, 64)
	if err != nil || id <= 0 {
		return 0, admit.Errorf(admit.ENOTFOUND, "%s not found.", what)
	}
	return id, nil
}

// v1Page reads limit, cursor and (if the list supports it) changed_since.
func v1Page(c echo.Context, changedSince bool) (admit.Page, error) {
	p := admit.Page{Limit: 50}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > admit.MaxPageLimit {
			return p, admit.FieldError("limit", fmt.Sprintf("limit must be a whole number from 1 to %d.", admit.MaxPageLimit))
		}
		p.Limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		after, err := decodeCursor(v)
		if err != nil {
			return p, admit.FieldError("cursor", "This cursor is not valid: pass the next value of the previous page unchanged.")
		}
		p.After = after
	}
	if v := c.QueryParam("changed_since"); v != "" {
		if !changedSince {
			return p, admit.FieldError("changed_since", "This list cannot be filtered by changed_since.")
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return p, admit.FieldError("changed_since", "changed_since must be an RFC 3339 time such as 2027-05-01T09:00:00Z.")
		}
		if err := admit.TimeProblem("changed_since", t); err != nil {
			return p, err
		}
		p.ChangedSince = t.UTC()
	}
	return p, nil
}

// A cursor is the base64url of the last id of a page: opaque to clients,
// so its form may change.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != string(b) {
		return 0, errors.New("not a cursor")
	}
	return id, nil
}

// v1List is every list's envelope: a page of data and the cursor of the
// next page, null on the last.
type v1List[T any] struct {
	Data []T     `json:"data"`
	Next *string `json:"next"`
}

func newV1List[T any](data []T, hasMore bool, id func(T) int64) v1List[T] {
	out := v1List[T]{Data: data}
	if out.Data == nil {
		out.Data = []T{}
	}
	if hasMore && len(data) > 0 {
		next := encodeCursor(id(data[len(data)-1]))
		out.Next = &next
	}
	return out
}

// pageInMemory pages a short list read whole (ticket types, questions,
// check-in lists of one event) exactly as the keyset queries page long
// ones: by id, after the cursor.
func pageInMemory[T any](list []T, p admit.Page, id func(T) int64) ([]T, bool) {
	slices.SortFunc(list, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
	start := 0
	for start < len(list) && id(list[start]) <= p.After {
		start++
	}
	list = list[start:]
	if len(list) > p.Limit {
		return list[:p.Limit], true
	}
	return list, false
}

// parseTime reads an optional RFC 3339 time from a body field.
func parseTime(p *admit.Problems, field string, v *string) time.Time {
	if v == nil || *v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		p.Add(field, field+" must be an RFC 3339 time such as 2027-05-01T09:00:00Z.")
		return time.Time{}
	}
	return t.UTC()
}

// v1Audit records what the token did in the organization's audit log.
func (h *Handler) v1Audit(c echo.Context, action, object, detail string) {
	tok := v1Token(c)
	if detail != "" {
		detail += " "
	}
	detail += "(API token " + tok.Name + ")"
	if err := h.v1.Store.AddAudit(c.Request().Context(), tok.OrganizationID, 0, action, object, detail); err != nil {
		server.LoggerFrom(c.Request().Context()).Error("audit log write failed", "action", action, "err", err)
	}
}
