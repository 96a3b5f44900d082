package payment

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
)

// defaultStripeMockURL is where scripts/stack runs stripe-mock.
const defaultStripeMockURL = "http://127.0.0.1:12111"

// stripeMockURL returns the address of the stack's stripe-mock, skipping the
// test only when ADMIT_TEST_STRIPE_MOCK=off says there is none on purpose.
func stripeMockURL(tb testing.TB) string {
	tb.Helper()
	if os.Getenv("ADMIT_TEST_STRIPE_MOCK") == "off" {
		tb.Skip("ADMIT_TEST_STRIPE_MOCK=off: skipping tests that need stripe-mock")
	}
	req, err := http.NewRequest(http.MethodGet, defaultStripeMockURL+"/v1/charges", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testSecretKey)
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		tb.Fatalf("stripe-mock is not answering on %s (is the stack up? scripts/stack up): %v", defaultStripeMockURL, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("stripe-mock on %s answered %s", defaultStripeMockURL, res.Status)
	}
	return defaultStripeMockURL
}

// testSecretKey is any test-mode key: stripe-mock accepts them all.
const testSecretKey = "sk_test_123"

// recordedRequest is one API request as it left stripe-go.
type recordedRequest struct {
	Method string
	Path   string
	Header http.Header
	Form   url.Values
}

// recorder keeps the requests that passed through a recording proxy.
type recorder struct {
	mu       sync.Mutex
	requests []recordedRequest
}

func (r *recorder) all() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedRequest(nil), r.requests...)
}

// mustRecordingProxy starts a reverse proxy to target that records the
// method, path, headers and form body of every request before passing it on
// unchanged, and returns its URL.
func mustRecordingProxy(tb testing.TB, target string) (string, *recorder) {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.mu.Lock()
		rec.requests = append(rec.requests, recordedRequest{
			Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: form,
		})
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL, rec
}
