package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// failover sends a buyer's requests the way a careful client does: to one
// of the addresses it knows (both HAProxies of the paired stack), and after
// a connection error, a 5xx, a 429 or a 408 (HAProxy closing a kept-alive
// connection as the request went out on it: it took none of it) to the
// next one at once, then again with backoff, until within has passed. An
// order keeps its Idempotency-Key on every try, so a retry never buys
// twice; a hold whose answer was lost is left to expire.
type failover struct {
	urls    []string
	client  *http.Client
	within  time.Duration
	retried *atomic.Int64 // requests that needed more than one try
}

// do sends method path and returns the last answer. inProgress also
// retries a 409 that says the first request with the same
// Idempotency-Key is still running (it carries Retry-After).
func (f failover) do(ctx context.Context, start int, method, path string, body []byte, header map[string]string, inProgress bool) (int, []byte, error) {
	deadline := time.Now().Add(f.within)
	backoff := 50 * time.Millisecond
	for try := 0; ; try++ {
		st, h, b, err := f.once(ctx, method, f.urls[(start+try)%len(f.urls)]+path, body, header)
		again := err != nil || st >= 500 || st == http.StatusTooManyRequests || st == http.StatusRequestTimeout ||
			(inProgress && st == http.StatusConflict && h.Get("Retry-After") != "")
		if !again || ctx.Err() != nil || time.Now().After(deadline) {
			if try > 0 && f.retried != nil {
				f.retried.Add(1)
			}
			return st, b, err
		}
		// The next address at once; after a full round, wait.
		if (try+1)%len(f.urls) == 0 {
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff = min(backoff*2, time.Second)
		}
	}
}

func (f failover) once(ctx context.Context, method, url string, body []byte, header map[string]string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}
