package admit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientResourcesNeedIDs(t *testing.T) {
	c := New("http://admit.invalid", "adm_x", WithRetries(0))
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"offer":      func() error { _, err := c.Waitlist().Offer(ctx, 0, 48); return err },
		"waitlist":   func() error { _, err := c.Waitlist().List(ctx, 0, ListParams{}); return err },
		"export":     func() error { _, err := c.Exports().Get(ctx, 0); return err },
		"download":   func() error { _, err := c.Exports().Download(ctx, 0); return err },
		"endpoint":   func() error { _, err := c.WebhookEndpoints().Get(ctx, 0); return err },
		"delete":     func() error { return c.WebhookEndpoints().Delete(ctx, 0) },
		"deliveries": func() error { _, err := c.WebhookEndpoints().Deliveries(ctx, 0, ListParams{}); return err },
		"redeliver":  func() error { _, err := c.WebhookEndpoints().Redeliver(ctx, 1, 0); return err },
	} {
		if err := call(); !errors.Is(err, errNoID) {
			t.Errorf("%s with id 0: %v, want errNoID", name, err)
		}
	}
}

func TestClientExportDownload(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer adm_x":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/api/v1/exports/7/download":
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, "reference,name\nA1,Ada\n")
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"code":"conflict","message":"This export is not ready yet."}`)
		}
	}))
	defer srv.Close()
	c := New(srv.URL, "adm_x")
	file, err := c.Exports().Download(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(file)
	file.Close()
	if string(body) != "reference,name\nA1,Ada\n" {
		t.Errorf("downloaded %q", body)
	}
	_, err = c.Exports().Download(context.Background(), 8)
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusConflict || e.Code != CodeConflict {
		t.Errorf("download of an export not ready: %v", err)
	}
}
