package admit

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestClientParseRetryAfter(t *testing.T) {
	now := time.Date(2027, 5, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, header string
		want         time.Duration
	}{
		{"none", "", 0},
		{"seconds", "7", 7 * time.Second},
		{"negative", "-3", 0},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"past date", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.header, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.header, got, tt.want)
			}
		})
	}
}

func TestClientBackoffGrowsWithinBounds(t *testing.T) {
	c := New("http://admit.test", "adm_x", WithBackoff(100*time.Millisecond, 2*time.Second))
	for attempt := range 40 {
		d := c.backoff(attempt)
		ceiling := min(100*time.Millisecond<<min(attempt, 20), 2*time.Second)
		if d < ceiling/2 || d > ceiling {
			t.Errorf("attempt %d: backoff %s, want %s to %s", attempt, d, ceiling/2, ceiling)
		}
	}
}

func TestClientBaseURL(t *testing.T) {
	for _, base := range []string{"https://tickets.example.com", "https://tickets.example.com/", "https://tickets.example.com/api/v1", "https://tickets.example.com/api/v1/"} {
		if got := New(base, "adm_x").baseURL; got != "https://tickets.example.com/api/v1" {
			t.Errorf("New(%q) talks to %q", base, got)
		}
	}
}

func TestClientPageEnvelope(t *testing.T) {
	var p Page[Event]
	if err := json.Unmarshal([]byte(`{"data":[{"id":1,"starts_at":"2027-05-01T09:00:00Z"}],"next":"Mg"}`), &p); err != nil || len(p.Data) != 1 || p.Next != "Mg" {
		t.Errorf("page: %+v %v", p, err)
	}
	if err := json.Unmarshal([]byte(`{"data":[],"next":null}`), &p); err != nil || len(p.Data) != 0 || p.Next != "" {
		t.Errorf("last page: %+v %v", p, err)
	}
}

func TestClientErrorFromProblem(t *testing.T) {
	resp := &http.Response{StatusCode: 422, Header: http.Header{"X-Request-Id": {"r1"}}}
	e := newError(resp, []byte(`{"code":"invalid","message":"limit must be a whole number from 1 to 200.","field":"limit","problems":[{"field":"limit","message":"…"}]}`))
	if e.Code != CodeInvalid || e.Field != "limit" || e.RequestID != "r1" || len(e.Problems) != 1 {
		t.Errorf("error: %+v", e)
	}
	if s := e.Error(); !strings.Contains(s, "422") || !strings.Contains(s, "(limit)") || !strings.Contains(s, "whole number") {
		t.Errorf("Error() = %q", s)
	}
	e = newError(&http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"2"}}}, []byte("<html>down</html>"))
	if e.Code != "service_unavailable" || e.RetryAfter != 2*time.Second || ErrorCode(e) != "service_unavailable" {
		t.Errorf("error from an HTML page: %+v", e)
	}
}

func TestClientRetryableAnswers(t *testing.T) {
	for status, want := range map[int]bool{200: false, 400: false, 404: false, 409: false, 422: false, 429: true, 500: true, 502: true, 503: true, 504: true} {
		if got := retryable(&http.Response{StatusCode: status, Header: http.Header{}}); got != want {
			t.Errorf("retryable(%d) = %t", status, got)
		}
	}
	if !retryable(&http.Response{StatusCode: 409, Header: http.Header{"Retry-After": {"1"}}}) {
		t.Error("a 409 with Retry-After (key in progress) is not retried")
	}
}
