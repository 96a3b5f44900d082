package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/backup"
	"github.com/admithq/admit/internal/mysql"
	"github.com/admithq/admit/internal/s3"
	client "github.com/admithq/admit/pkg/admit"
)

// TestRestoreDrillHA runs the restore drill (runDrill) against the paired
// stack of scripts/ha: buyers through both HAProxies, the stack's own
// workers sending the emails, backups by scripts/ha backup (the Galera node
// that is not the writer, to the stack's S3), the mistake made through
// HAProxy, the restore into a fresh data directory. The mistake deletes
// every order of the stack, and the drill copies them back at the end; so
// it runs only when asked for, by scripts/ha drill (ADMIT_HA_DRILL=1 with
// the settings of scripts/ha env).
func TestRestoreDrillHA(t *testing.T) {
	if os.Getenv("ADMIT_HA_DRILL") != "1" {
		t.Skip("the paired stack's restore drill runs with scripts/ha drill")
	}
	ctx := mustContext(t, 10*time.Minute)
	script := mustEnv(t, "ADMIT_HA_SCRIPT")
	liveDSN := mustEnv(t, "ADMIT_HA_MYSQL_LB_DSN")
	db, err := mysql.Open(liveDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := s3.Open(ctx, s3.Config{Endpoint: mustEnv(t, "ADMIT_HA_S3_ENDPOINT"), Region: "us-east-1", Bucket: mustEnv(t, "ADMIT_HA_S3_BUCKET")})
	if err != nil {
		t.Fatal(err)
	}
	restorer := &backup.Backer{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	port := 27101
	if p, err := strconv.Atoi(os.Getenv("ADMIT_HA_DRILL_PORT")); err == nil {
		port = p
	}
	buyers := 12
	if n, err := strconv.Atoi(os.Getenv("ADMIT_HA_DRILL_BUYERS")); err == nil && n > 0 {
		buyers = n
	}
	runDrill(t, ctx, drillStack{
		DB: db, LiveDSN: liveDSN, Sell: newHTTPSeller(strings.Split(mustEnv(t, "ADMIT_HA_URLS"), ",")),
		Buyers: buyers, Quantity: 3000,
		Full: func(ctx context.Context) (*backup.Manifest, error) {
			if err := runHA(ctx, t, script, "backup", "full"); err != nil {
				return nil, err
			}
			c, err := restorer.List(ctx)
			if err != nil || len(c.Fulls) == 0 {
				return nil, fmt.Errorf("the bucket lists no full backup after scripts/ha backup full (%v)", err)
			}
			return &c.Fulls[len(c.Fulls)-1], nil
		},
		Ship:     func(ctx context.Context) error { return runHA(ctx, t, script, "backup", "binlogs") },
		Restorer: restorer, RestorePort: port,
		RestoreDir: filepath.Join(t.TempDir(), "restored"),
		After: func(fx drillFixture, paid []told) {
			checkExportInBucket(t, ctx, db, st, mustEnv(t, "ADMIT_HA_URL1"), fx, paid)
		},
	})
}

// checkExportInBucket: the organizer's export of the orders, made by the
// stack's workers, lists every order told paid, and its file is in the
// stack's own bucket (ADMIT_S3_* of scripts/ha), where backups are too.
func checkExportInBucket(t *testing.T, ctx context.Context, db *mysql.DB, st *s3.Store, url string, fx drillFixture, paid []told) {
	t.Helper()
	secret, err := db.CreateAPIToken(ctx, &admit.APIToken{OrganizationID: fx.org.ID, Name: "drill", Scopes: []string{admit.ScopeRead, admit.ScopeWrite}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	api := client.New(url, secret)
	e, err := api.Exports().Create(ctx, client.ExportCreateParams{EventID: fx.ev.ID, Kind: client.ExportOrders, Format: client.ExportCSV})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); e.Status != "done"; {
		if e.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("export %d: %s after %v", e.ID, e.Status, time.Minute)
		}
		time.Sleep(500 * time.Millisecond)
		if e, err = api.Exports().Get(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	r, err := api.Exports().Download(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	file, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, p := range paid {
		if !bytes.Contains(file, []byte(p.ref)) {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("the orders export lacks %d of %d orders told paid", missing, len(paid))
	}
	objs, err := st.List(ctx, "exports/")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range objs {
		found = found || (e.Size != nil && o.Size == *e.Size && o.Modified.After(e.CreatedAt.Add(-time.Minute)))
	}
	if !found {
		t.Errorf("export %d (%d rows) is not in the stack's bucket under exports/ (%d objects there)", e.ID, e.Rows, len(objs))
	}
	t.Logf("the orders export: %d rows, %d bytes, in the stack's bucket", e.Rows, len(file))
}

// runHA runs scripts/ha with args, its output in the test's log.
func runHA(ctx context.Context, t *testing.T, script string, args ...string) error {
	out, err := exec.CommandContext(ctx, script, args...).CombinedOutput()
	var lines []string
	for line := range strings.Lines(string(out)) {
		if !strings.HasPrefix(line, "{") { // admit's JSON log repeats what it prints
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	t.Logf("scripts/ha %s: %s", strings.Join(args, " "), strings.Join(lines, " | "))
	if err != nil {
		return fmt.Errorf("scripts/ha %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// httpSeller buys through the checkout API the way a careful client does:
// each request to one of the HAProxies in turn, and after no answer or a
// 5xx to the other, the order with the same Idempotency-Key, so a retry
// never buys twice.
type httpSeller struct {
	urls   []string
	client *http.Client
	next   atomic.Uint32
	keys   atomic.Int64
}

func newHTTPSeller(urls []string) *httpSeller {
	return &httpSeller{urls: urls, client: &http.Client{Timeout: 15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

func (s *httpSeller) Hold(ctx context.Context, org *admit.Organization, ev *admit.Event, tt *admit.TicketType) (held, error) {
	body := fmt.Sprintf(`{"items":[{"ticket_type_id":%d,"quantity":1}]}`, tt.ID)
	status, answer, err := s.post(ctx, "/api/checkout/v1/events/"+org.Slug+"/"+ev.Slug+"/holds", []byte(body), nil)
	if err != nil {
		return held{}, err
	}
	var h struct {
		ID, Secret, Code string
	}
	_ = json.Unmarshal(answer, &h)
	switch {
	case status == http.StatusConflict && h.Code == admit.ESOLDOUT:
		return held{}, admit.Errorf(admit.ESOLDOUT, "Sold out.")
	case status != http.StatusCreated || h.ID == "":
		return held{}, fmt.Errorf("hold: HTTP %d %s", status, answer)
	}
	return held{ID: h.ID, Secret: h.Secret}, nil
}

func (s *httpSeller) Order(ctx context.Context, h held, buyer string) (string, bool, error) {
	body, _ := json.Marshal(map[string]any{"buyer": map[string]string{"name": "Buyer", "email": buyer},
		"attendees": []map[string]string{{"name": "Attendee"}}})
	header := map[string]string{"Admit-Hold-Secret": h.Secret,
		"Idempotency-Key": fmt.Sprintf("drill-%d-%d", time.Now().UnixNano(), s.keys.Add(1))}
	status, answer, err := s.post(ctx, "/api/checkout/v1/holds/"+h.ID+"/order", body, header)
	if err != nil {
		return "", false, err
	}
	var o struct{ Reference, Status string }
	if (status != http.StatusCreated && status != http.StatusOK) || json.Unmarshal(answer, &o) != nil || o.Reference == "" {
		return "", false, fmt.Errorf("order: HTTP %d %s", status, answer)
	}
	return o.Reference, o.Status == string(admit.OrderPaid), nil
}

// post sends body to path, trying the next address after no answer or a
// 5xx, twice round at most.
func (s *httpSeller) post(ctx context.Context, path string, body []byte, header map[string]string) (int, []byte, error) {
	start := int(s.next.Add(1))
	var lastErr error
	for try := range 2 * len(s.urls) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.urls[(start+try)%len(s.urls)]+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := s.client.Do(req)
		if err == nil {
			answer, readErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if readErr == nil && resp.StatusCode < 500 {
				return resp.StatusCode, answer, nil
			}
			err = fmt.Errorf("HTTP %d %s %v", resp.StatusCode, answer, readErr)
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	return 0, nil, fmt.Errorf("POST %s: %w", path, lastErr)
}
