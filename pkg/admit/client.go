// Package admit is the Go client of the Admit REST API (/api/v1): events,
// ticket types, orders, tickets, check-in, discount codes and questions of
// the organization an API token belongs to.
//
//	client := admit.New("https://tickets.example.com", os.Getenv("ADMIT_TOKEN"))
//	for o, err := range client.Orders.All(ctx, admit.OrderListParams{Status: "paid"}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(o.Reference, o.Total, o.Currency)
//	}
//
// Every POST, PATCH and DELETE carries an Idempotency-Key (generated unless
// given with WithIdempotencyKey) that its retries reuse, so a retried
// request has its effect once. Requests answered 429 or 5xx, and requests
// that failed on the network, are retried with exponential backoff,
// honouring Retry-After. Failures the server explains are *Error values.
package admit

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one Admit server with one API token. It is safe for
// concurrent use.
type Client struct {
	baseURL      string
	token        string
	httpClient   *http.Client
	retries      int
	minBackoff   time.Duration
	maxBackoff   time.Duration
	maxRetryWait time.Duration
	userAgent    string

	Events        *EventsService
	TicketTypes   *TicketTypesService
	Orders        *OrdersService
	Tickets       *TicketsService
	CheckInLists  *CheckInListsService
	DiscountCodes *DiscountCodesService
	Questions     *QuestionsService
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc instead of a client with a 30
// second timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithRetries sets how many times a failed request is retried (3 unless
// set; 0 never retries).
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// WithBackoff sets the first and the longest wait between retries when the
// server does not say how long to wait (250ms and 10s unless set).
func WithBackoff(first, longest time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = first, max(first, longest) }
}

// WithMaxRetryWait caps how long the client waits when the server's
// Retry-After asks for a pause (a minute unless set); a longer pause
// returns the *Error at once, with its RetryAfter.
func WithMaxRetryWait(d time.Duration) Option { return func(c *Client) { c.maxRetryWait = d } }

// WithUserAgent names the integration in the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the server at baseURL (such as
// "https://tickets.example.com") acting with token ("adm_…").
func New(baseURL, token string, opts ...Option) *Client {
	base := strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/api/v1")
	c := &Client{baseURL: base + "/api/v1", token: token, httpClient: &http.Client{Timeout: 30 * time.Second},
		retries: 3, minBackoff: 250 * time.Millisecond, maxBackoff: 10 * time.Second, maxRetryWait: time.Minute,
		userAgent: "admit-go"}
	for _, o := range opts {
		o(c)
	}
	c.Events = &EventsService{c}
	c.TicketTypes = &TicketTypesService{c}
	c.Orders = &OrdersService{c}
	c.Tickets = &TicketsService{c}
	c.CheckInLists = &CheckInListsService{c}
	c.DiscountCodes = &DiscountCodesService{c}
	c.Questions = &QuestionsService{c}
	return c
}

// RequestOption configures one request.
type RequestOption func(*requestOptions)

type requestOptions struct {
	idempotencyKey string
}

// WithIdempotencyKey sends key as the request's Idempotency-Key instead of
// a generated one: pass the same key when repeating a request across
// process restarts, and the server applies it once (for 24 hours at least).
func WithIdempotencyKey(key string) RequestOption {
	return func(o *requestOptions) { o.idempotencyKey = key }
}

// Me returns the organization the token acts for and its scopes.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	return call[Me](ctx, c, http.MethodGet, "/me", nil, nil, nil)
}

// newIdempotencyKey returns 128 random bits in hex.
func newIdempotencyKey() string {
	b := make([]byte, 16)
	if _, err := cryptorand.Read(b); err != nil {
		panic("admit: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// do sends one API request, retrying it as the package comment describes,
// and decodes the answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any, opts []RequestOption) error {
	var ro requestOptions
	for _, o := range opts {
		o(&ro)
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("admit: encoding the request: %w", err)
		}
	}
	key := ro.idempotencyKey
	if method != http.MethodGet && key == "" {
		key = newIdempotencyKey()
	}
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, method, target, payload, key)
		if err != nil {
			return fmt.Errorf("admit: %w", err)
		}
		resp, err := c.httpClient.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The request may or may not have reached the server; a GET is
			// safe to repeat and a write carries its Idempotency-Key.
			if attempt < c.retries {
				if werr := sleep(ctx, c.backoff(attempt)); werr != nil {
					return werr
				}
				continue
			}
			return fmt.Errorf("admit: %s %s: %w", method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			if attempt < c.retries && ctx.Err() == nil {
				if werr := sleep(ctx, c.backoff(attempt)); werr != nil {
					return werr
				}
				continue
			}
			return fmt.Errorf("admit: %s %s: reading the response: %w", method, path, err)
		}
		if resp.StatusCode < 300 {
			if out == nil || len(data) == 0 {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("admit: %s %s: decoding the response: %w", method, path, err)
			}
			return nil
		}
		apiErr := newError(resp, data)
		if attempt < c.retries && retryable(resp) {
			wait := apiErr.RetryAfter
			if wait == 0 {
				wait = c.backoff(attempt)
			}
			if wait <= c.maxRetryWait {
				if werr := sleep(ctx, wait); werr != nil {
					return werr
				}
				continue
			}
		}
		return apiErr
	}
}

// newRequest builds one attempt of a request: a fresh body each time, the
// token, and the Idempotency-Key that makes a repeated write safe.
func (c *Client) newRequest(ctx context.Context, method, target string, payload []byte, key string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return req, nil
}

// retryable reports whether the answer may change if the same request is
// sent again: rate limits, server failures, and a 409 that says when to
// retry (the same Idempotency-Key still in progress).
func retryable(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		return resp.Header.Get("Retry-After") != ""
	}
	return false
}

// backoff is the wait before retry attempt+1: exponential, with jitter so
// clients that failed together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.minBackoff << min(attempt, 20)
	if d <= 0 || d > c.maxBackoff {
		d = c.maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ListParams page through a list. The zero value asks for the first page
// of 50.
type ListParams struct {
	// Limit is the page size, 1 to 200; 0 asks for the server's default.
	Limit int
	// Cursor is the Next of the previous page; empty for the first.
	Cursor string
	// ChangedSince keeps only objects changed at or after it, on the lists
	// that support it (events, orders, tickets, check-ins).
	ChangedSince time.Time
}

func (p ListParams) values() url.Values {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	if !p.ChangedSince.IsZero() {
		q.Set("changed_since", p.ChangedSince.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// Page is one page of a list.
type Page[T any] struct {
	Data []T
	// Next is the cursor of the next page, empty on the last one.
	Next string
}

// UnmarshalJSON reads the API's list envelope.
func (p *Page[T]) UnmarshalJSON(b []byte) error {
	var raw struct {
		Data []T     `json:"data"`
		Next *string `json:"next"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.Data, p.Next = raw.Data, ""
	if raw.Next != nil {
		p.Next = *raw.Next
	}
	return nil
}

// call sends a request and returns its decoded answer.
func call[T any](ctx context.Context, c *Client, method, path string, q url.Values, body any, opts []RequestOption) (*T, error) {
	var v T
	if err := c.do(ctx, method, path, q, body, &v, opts); err != nil {
		return nil, err
	}
	return &v, nil
}

func list[T any](ctx context.Context, c *Client, path string, q url.Values) (*Page[T], error) {
	return call[Page[T]](ctx, c, http.MethodGet, path, q, nil, nil)
}

// all iterates over every object of a list, fetching pages as it goes; an
// error ends the iteration after being yielded.
func all[T any](ctx context.Context, p ListParams, fetch func(ctx context.Context, p ListParams) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			page, err := fetch(ctx, p)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range page.Data {
				if !yield(v, nil) {
					return
				}
			}
			if page.Next == "" || page.Next == p.Cursor {
				return
			}
			p.Cursor = page.Next
		}
	}
}

// errNoID guards against requests for id 0, which would address a list.
var errNoID = errors.New("admit: an id is required")

func idPath(format string, ids ...int64) (string, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		if id <= 0 {
			return "", errNoID
		}
		args[i] = id
	}
	return fmt.Sprintf(format, args...), nil
}
