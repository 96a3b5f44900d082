package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// client sends requests the way a careful real client does: to one of the
// HAProxy addresses, and on a connection error, a timeout or a 5xx to the
// other, with backoff, until a deadline. The caller passes the same
// Idempotency-Key on every try, so a retry never doubles an effect.
type client struct {
	urls []string
	http *http.Client
	next atomic.Uint32
}

// answer is the last response of a request after its retries.
type answer struct {
	status int
	body   []byte
	header http.Header
	tries  int
	err    error // the last transport error, when no response came
}

// ok says whether the request got a definitive answer (not a transport
// error, 5xx or 429).
func (a answer) ok() bool { return a.err == nil && !retryable(a.status) }

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("after %d tries: %v", a.tries, a.err)
	}
	b := a.body
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf("after %d tries: %d %s", a.tries, a.status, strconv.Quote(string(b)))
}

// retryable statuses: the server or a proxy in front of it failed (5xx),
// a rate limit (429), or the proxy closed a kept-alive connection just as
// the request went out on it (408: it took none of the request, so the
// request is sent again, as browsers do on a reused connection).
func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// do sends method path body with header, retrying for up to within.
// conflictRetry also retries a 409 that says the first request with the
// same Idempotency-Key is still running.
func (c *client) do(ctx context.Context, method, path string, body []byte, header map[string]string, within time.Duration, conflictRetry bool) answer {
	deadline := time.Now().Add(within)
	start := int(c.next.Add(1)) // spread buyers over the addresses
	var a answer
	backoff := 100 * time.Millisecond
	for try := 0; ; try++ {
		base := c.urls[(start+try)%len(c.urls)]
		a = c.once(ctx, method, base+path, body, header)
		a.tries = try + 1
		inProgress := a.status == http.StatusConflict && (a.header.Get("Retry-After") != "" || a.problemCode() == "conflict")
		again := a.err != nil || retryable(a.status) || (conflictRetry && inProgress)
		if !again || ctx.Err() != nil {
			return a
		}
		// The other address is tried at once; after a full round, wait.
		if (try+1)%len(c.urls) == 0 {
			if time.Now().Add(backoff).After(deadline) {
				return a
			}
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return a
			}
			backoff = min(backoff*2, 2*time.Second)
		} else if time.Now().After(deadline) {
			return a
		}
	}
}

func (c *client) once(ctx context.Context, method, url string, body []byte, header map[string]string) answer {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{err: err}
	}
	return answer{status: resp.StatusCode, body: b, header: resp.Header}
}

// decode reads a JSON answer into v.
func (a answer) decode(v any) error {
	if a.err != nil {
		return a.err
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		return errors.New("undecodable answer " + a.String())
	}
	return nil
}

// problemCode is the code of a JSON problem answer.
func (a answer) problemCode() string {
	var p struct {
		Code string `json:"code"`
	}
	json.Unmarshal(a.body, &p)
	return p.Code
}
