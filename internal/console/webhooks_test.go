package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/webhook"
)

// publicURL is an endpoint URL that passes the production policy without
// DNS: https and a public address.
const publicURL = "https://93.184.215.14/hooks/admit"

// mustWebhook adds an endpoint to the tenant with one delivery whose one
// attempt got a 500 with body, and returns both.
func (f *fixture) mustWebhook(tb testing.TB, t tenant, body string) (*admit.WebhookEndpoint, *admit.WebhookDelivery) {
	tb.Helper()
	ctx := context.Background()
	e := &admit.WebhookEndpoint{OrganizationID: t.org.ID, URL: publicURL, EventTypes: []string{"order.paid"}, Enabled: true, Secret: webhook.NewSecret()}
	if err := f.db.CreateWebhookEndpoint(ctx, e); err != nil {
		tb.Fatal(err)
	}
	res, err := f.db.SQL().Exec(`INSERT INTO outbox (organization_id, kind, payload) VALUES (?, 'webhook.order.paid', '{}')`, t.org.ID)
	if err != nil {
		tb.Fatal(err)
	}
	outboxID, _ := res.LastInsertId()
	due, err := f.db.CreateWebhookDeliveries(ctx, t.org.ID, outboxID, "order.paid", webhook.MessageID(outboxID), []byte(`{"id":"`+webhook.MessageID(outboxID)+`","data":{"reference":"ALPHA-REF"}}`))
	if err != nil || len(due) != 1 {
		tb.Fatalf("deliveries: %v %v", due, err)
	}
	w, _, ok, err := f.db.ClaimWebhookDelivery(ctx, due[0].ID, 0, time.Minute)
	if err != nil || !ok {
		tb.Fatalf("claim: %v %v", ok, err)
	}
	a := admit.WebhookAttempt{StartedAt: time.Now(), Duration: 42 * time.Millisecond, ResponseStatus: 500, ResponseBody: []byte(body)}
	if err := f.db.FinishWebhookAttempt(ctx, w, a, admit.WebhookRetry, time.Hour, ""); err != nil {
		tb.Fatal(err)
	}
	return e, w
}

// webhookRoutes are every webhook route naming an endpoint or a delivery.
func webhookRoutes(org string, e *admit.WebhookEndpoint, w *admit.WebhookDelivery) (gets, posts []string) {
	base := fmt.Sprintf("/console/%s/webhooks/%d", org, e.ID)
	delivery := fmt.Sprintf("%s/deliveries/%d", base, w.ID)
	return []string{base, delivery}, []string{base, base + "/rotate", base + "/delete", delivery + "/redeliver"}
}

func webhookForm(u string, types ...string) url.Values {
	return url.Values{"url": {u}, "description": {"CRM"}, "event_types": types, "enabled": {"on"}}
}

// TestWebhookConsole: an owner adds an endpoint, sees its secret, changes
// it, rotates the secret, reads the delivery log, sends a delivery again
// and deletes the endpoint.
func TestWebhookConsole(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	if st, body := b.get("/console/alpha/webhooks"); st != 200 || !strings.Contains(body, "No endpoints yet") || !strings.Contains(body, `value="checkin.created"`) {
		t.Fatalf("webhooks page: %d", st)
	}
	st, loc := b.post("/console/alpha/webhooks", webhookForm(publicURL, "order.paid", "ticket.updated"))
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/alpha/webhooks/") {
		t.Fatalf("create: %d %s", st, loc)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/console/alpha/webhooks/"), 10, 64)
	e, err := f.db.FindWebhookEndpoint(context.Background(), f.a.org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.URL != publicURL || strings.Join(e.EventTypes, ",") != "order.paid,ticket.updated" || !e.Enabled || !strings.HasPrefix(e.Secret, "whsec_") {
		t.Errorf("stored endpoint: %+v", e)
	}
	if _, body := b.get(loc); !strings.Contains(body, attrEscape(e.Secret)) || !strings.Contains(body, "Nothing sent yet") {
		t.Errorf("the endpoint page does not show its secret")
	}

	if st, _ := b.post(loc, url.Values{"url": {publicURL + "/v2"}, "event_types": {"order.refunded"}}); st != http.StatusSeeOther {
		t.Fatalf("update: %d", st)
	}
	e, _ = f.db.FindWebhookEndpoint(context.Background(), f.a.org.ID, id)
	if e.URL != publicURL+"/v2" || strings.Join(e.EventTypes, ",") != "order.refunded" || e.Enabled {
		t.Errorf("after the update (no enabled box): %+v", e)
	}

	old := e.Secret
	b.get(loc)
	if st, _ := b.post(loc+"/rotate", nil); st != http.StatusSeeOther {
		t.Fatalf("rotate: %d", st)
	}
	e, _ = f.db.FindWebhookEndpoint(context.Background(), f.a.org.ID, id)
	if e.Secret == old || e.PreviousSecret != old || time.Until(e.PreviousSecretExpiresAt) < 23*time.Hour {
		t.Errorf("after rotating: secret %s, previous %s until %v (old %s)", e.Secret, e.PreviousSecret, e.PreviousSecretExpiresAt, old)
	}
	if _, body := b.get(loc); !strings.Contains(body, attrEscape(e.Secret)) || !strings.Contains(body, attrEscape(old)) {
		t.Error("the page does not show both secrets during the rotation")
	}

	// A delivery with a hostile answer in its log.
	_, w := f.mustWebhook(t, f.a, "<script>alert(1)</script>")
	var endpointOfDelivery int64
	f.db.SQL().QueryRow(`SELECT endpoint_id FROM webhook_deliveries WHERE id = ?`, w.ID).Scan(&endpointOfDelivery)
	deliveryPath := fmt.Sprintf("/console/alpha/webhooks/%d/deliveries/%d", endpointOfDelivery, w.ID)
	st, body := b.get(deliveryPath)
	if st != 200 || !strings.Contains(body, "HTTP 500") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
		!strings.Contains(body, "ALPHA-REF") || !strings.Contains(body, "42ms") {
		t.Errorf("delivery page: %d\n%s", st, body)
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("the receiver's answer is rendered unescaped")
	}
	if st, _ := b.post(deliveryPath+"/redeliver", nil); st != http.StatusSeeOther {
		t.Fatalf("redeliver: %d", st)
	}
	var payload string
	f.db.SQL().QueryRow(`SELECT payload FROM outbox WHERE kind = 'webhook.redeliver' AND organization_id = ?`, f.a.org.ID).Scan(&payload)
	if payload != fmt.Sprintf(`{"delivery_id":%d}`, w.ID) {
		t.Errorf("redelivery queued as %q", payload)
	}

	b.get(loc)
	if st, _ := b.post(loc+"/delete", nil); st != http.StatusSeeOther {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := b.get(loc); st != http.StatusNotFound {
		t.Errorf("deleted endpoint: %d", st)
	}
	_, audit := b.get("/console/alpha/audit")
	for _, action := range []string{"webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.secret_rotated", "webhook.redelivered", "webhook_endpoint.deleted"} {
		if !strings.Contains(audit, action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}

// TestWebhookBadInput: every problem shows next to its field with the
// input kept, and nothing is saved.
func TestWebhookBadInput(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	b.get("/console/alpha/webhooks")
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no URL", webhookForm("", "order.paid"), "Enter the URL"},
		{"not a URL", webhookForm("hooks.example.com", "order.paid"), "full URL"},
		{"script URL", webhookForm("javascript:alert(1)", "order.paid"), "https://"},
		{"http", webhookForm("http://93.184.215.14/", "order.paid"), "Use an https:// URL"},
		{"loopback", webhookForm("https://127.0.0.1/", "order.paid"), "loopback"},
		{"private", webhookForm("https://10.0.0.1/", "order.paid"), "private network"},
		{"metadata", webhookForm("https://169.254.169.254/", "order.paid"), "metadata"},
		{"IPv6 loopback", webhookForm("https://[::1]/", "order.paid"), "loopback"},
		{"mapped loopback", webhookForm("https://[::ffff:127.0.0.1]/", "order.paid"), "loopback"},
		{"decimal", webhookForm("https://2130706433/", "order.paid"), "loopback"},
		{"hex", webhookForm("https://0x7f.1/", "order.paid"), "loopback"},
		{"localhost", webhookForm("https://localhost/", "order.paid"), "loopback"},
		{"no event types", webhookForm(publicURL), "Choose at least one event type"},
		{"unknown event type", webhookForm(publicURL, "order.stolen"), "from the list"},
		{"long description", url.Values{"url": {publicURL}, "event_types": {"order.paid"}, "description": {strings.Repeat("é", 201)}}, "At most 200"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := b.post("/console/alpha/webhooks", tt.form)
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
				t.Errorf("%d, want 422 with %q", st, tt.want)
			}
			if u := tt.form.Get("url"); !strings.Contains(body, `value="`+attrEscape(u)+`"`) {
				t.Errorf("the URL %q is not kept in the form", u)
			}
		})
	}
	if n := countRows(t, f, `SELECT COUNT(*) FROM webhook_endpoints`); n != 0 {
		t.Errorf("%d endpoints saved from bad input", n)
	}
	// The same checks apply when an endpoint is changed.
	e, _ := f.mustWebhook(t, f.a, "")
	path := fmt.Sprintf("/console/alpha/webhooks/%d", e.ID)
	b.get(path)
	if st, body := b.post(path, webhookForm("https://192.168.0.10/", "order.paid")); st != http.StatusUnprocessableEntity || !strings.Contains(body, "private network") {
		t.Errorf("changing the URL to a private address: %d", st)
	}
	if got, _ := f.db.FindWebhookEndpoint(context.Background(), f.a.org.ID, e.ID); got.URL != publicURL {
		t.Errorf("URL changed to %s", got.URL)
	}
}

// attrEscape escapes s as html/template does in an attribute value.
func attrEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;", "+", "&#43;").Replace(s)
}

func countRows(tb testing.TB, f *fixture, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestWebhookTenantIsolation: another organization's endpoints and
// deliveries are not found through any route, through either
// organization's URLs, and nothing of theirs changes.
func TestWebhookTenantIsolation(t *testing.T) {
	f := mustFixture(t)
	alphaEP, alphaDelivery := f.mustWebhook(t, f.a, "alpha's answer")
	betaEP, _ := f.mustWebhook(t, f.b, "")
	b := f.newBrowser(t)
	b.mustLogin(f.b.owner.Email)
	if st, _ := b.get("/console/alpha/webhooks"); st != http.StatusNotFound {
		t.Errorf("alpha's webhooks as a member of beta: %d", st)
	}
	b.get("/console/beta/webhooks")
	for _, org := range []string{"alpha", "beta"} {
		gets, posts := webhookRoutes(org, alphaEP, alphaDelivery)
		for _, p := range gets {
			if st, body := b.get(p); st != http.StatusNotFound || strings.Contains(body, attrEscape(alphaEP.Secret)) || strings.Contains(body, "alpha&#39;s answer") {
				t.Errorf("GET %s as a member of beta: %d", p, st)
			}
		}
		b.get("/console/beta/webhooks")
		for _, p := range posts {
			if st, _ := b.post(p, webhookForm(publicURL+"/stolen", "order.paid")); st != http.StatusNotFound {
				t.Errorf("POST %s as a member of beta: %d", p, st)
			}
		}
	}
	// Alpha's delivery through beta's own endpoint.
	mixed := fmt.Sprintf("/console/beta/webhooks/%d/deliveries/%d", betaEP.ID, alphaDelivery.ID)
	if st, _ := b.get(mixed); st != http.StatusNotFound {
		t.Errorf("GET %s: %d", mixed, st)
	}
	b.get("/console/beta/webhooks")
	if st, _ := b.post(mixed+"/redeliver", nil); st != http.StatusNotFound {
		t.Errorf("POST %s/redeliver: %d", mixed, st)
	}
	got, err := f.db.FindWebhookEndpoint(context.Background(), f.a.org.ID, alphaEP.ID)
	if err != nil {
		t.Fatalf("alpha's endpoint after beta's attempts: %v", err)
	}
	if got.URL != alphaEP.URL || got.Secret != alphaEP.Secret || got.PreviousSecret != "" {
		t.Errorf("alpha's endpoint changed: %+v", got)
	}
	if n := countRows(t, f, `SELECT COUNT(*) FROM outbox WHERE kind = 'webhook.redeliver'`); n != 0 {
		t.Errorf("%d redeliveries queued by beta", n)
	}
	// Beta's own pages work and list only beta's endpoint.
	st, body := b.get("/console/beta/webhooks")
	if st != 200 || strings.Count(body, "/console/beta/webhooks/") < 1 || strings.Contains(body, fmt.Sprintf("/webhooks/%d\"", alphaEP.ID)) {
		t.Errorf("beta's webhooks page: %d", st)
	}
}

// TestWebhookRoles: check-in staff may not see or change webhooks.
func TestWebhookRoles(t *testing.T) {
	f := mustFixture(t)
	e, w := f.mustWebhook(t, f.a, "")
	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	b := f.newBrowser(t)
	b.mustLogin(staff.Email)
	b.get("/console/alpha")
	gets, posts := webhookRoutes("alpha", e, w)
	for _, p := range append(gets, "/console/alpha/webhooks") {
		if st, _ := b.get(p); st != http.StatusForbidden {
			t.Errorf("check-in staff GET %s: %d, want 403", p, st)
		}
	}
	b.get("/console/alpha")
	for _, p := range append(posts, "/console/alpha/webhooks") {
		if st, _ := b.post(p, webhookForm(publicURL+"/staff", "order.paid")); st != http.StatusForbidden {
			t.Errorf("check-in staff POST %s: %d, want 403", p, st)
		}
	}
	if n := countRows(t, f, `SELECT COUNT(*) FROM webhook_endpoints WHERE url LIKE '%/staff'`); n != 0 {
		t.Error("check-in staff saved an endpoint")
	}
	if _, body := b.get("/console/alpha"); strings.Contains(body, "/webhooks\"") {
		t.Error("check-in staff see the Webhooks link")
	}
}

// TestWebhookCSRF: webhook forms posted without a valid token change
// nothing.
func TestWebhookCSRF(t *testing.T) {
	f := mustFixture(t)
	e, w := f.mustWebhook(t, f.a, "")
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	_, posts := webhookRoutes("alpha", e, w)
	for _, p := range append(posts, "/console/alpha/webhooks") {
		for _, token := range []string{"", "forged-token"} {
			form := webhookForm(publicURL+"/forged", "order.paid")
			form.Set("_csrf", token)
			if st, _ := b.post(p, form); st != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d, want 403", p, token, st)
			}
		}
	}
	got, err := f.db.FindWebhookEndpoint(context.Background(), f.a.org.ID, e.ID)
	if err != nil || got.URL != publicURL || got.Secret != e.Secret {
		t.Errorf("endpoint after forged posts: %+v %v", got, err)
	}
	if n := countRows(t, f, `SELECT COUNT(*) FROM webhook_endpoints`) + countRows(t, f, `SELECT COUNT(*) FROM outbox WHERE kind = 'webhook.redeliver'`); n != 1 {
		t.Errorf("forged posts created something (%d rows)", n)
	}
}

// TestWebhookSendTestEvent: "Send test event" on an enabled endpoint writes
// one endpoint.test outbox row naming it (the worker delivers it), says so,
// and is audited; a disabled endpoint is told to be enabled first, and
// another organization's endpoint is not found.
func TestWebhookSendTestEvent(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	b.get("/console/alpha/webhooks")
	_, loc := b.post("/console/alpha/webhooks", webhookForm(publicURL, "order.paid"))
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/console/alpha/webhooks/"), 10, 64)
	if _, body := b.get(loc); !strings.Contains(body, `action="`+loc+`/test"`) || !strings.Contains(body, "Send test event") {
		t.Fatal("the endpoint page has no Send test event button")
	}
	if st, to := b.post(loc+"/test", nil); st != http.StatusSeeOther || to != loc {
		t.Fatalf("send test: %d %s", st, to)
	}
	if _, body := b.get(loc); !strings.Contains(body, "A webhook.test event is on its way") {
		t.Error("no word that the test event is on its way")
	}
	var n int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE organization_id = ? AND kind = 'endpoint.test' AND payload = ?`,
		f.a.org.ID, fmt.Sprintf(`{"endpoint_id":%d}`, id)).Scan(&n)
	if n != 1 {
		t.Errorf("%d test events queued, want 1", n)
	}
	b.post(loc, url.Values{"url": {publicURL}, "event_types": {"order.paid"}}) // no enabled box: disabled
	b.get(loc)
	if st, to := b.post(loc+"/test", nil); st != http.StatusSeeOther || to != loc {
		t.Fatalf("send test to a disabled endpoint: %d %s", st, to)
	}
	if _, body := b.get(loc); !strings.Contains(body, "enable it before sending a test event") {
		t.Error("a disabled endpoint's test is not refused with the reason")
	}
	other := f.newBrowser(t)
	other.mustLogin(f.b.owner.Email)
	other.get("/console/beta/webhooks")
	if st, _ := other.post(fmt.Sprintf("/console/beta/webhooks/%d/test", id), nil); st != http.StatusNotFound {
		t.Errorf("beta sending a test to alpha's endpoint: %d, want 404", st)
	}
}
