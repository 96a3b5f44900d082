package console_test

import (
	"fmt"
	"net/url"
	"os"
	"testing"
)

func TestWebhookZZDump(t *testing.T) {
	f := mustFixture(t)
	e, w := f.mustWebhook(t, f.a, "<b>oops</b>")
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	_, body := b.get(fmt.Sprintf("/console/alpha/webhooks/%d", e.ID))
	os.WriteFile("/tmp/wh_endpoint.html", []byte(body), 0o644)
	_, body = b.get(fmt.Sprintf("/console/alpha/webhooks/%d/deliveries/%d", e.ID, w.ID))
	os.WriteFile("/tmp/wh_delivery.html", []byte(body), 0o644)
	_, body = b.get("/console/alpha/webhooks")
	os.WriteFile("/tmp/wh_list.html", []byte(body), 0o644)
	_, body = b.post("/console/alpha/webhooks", url.Values{"url": {"https://127.0.0.1/"}})
	os.WriteFile("/tmp/wh_bad.html", []byte(body), 0o644)
}
