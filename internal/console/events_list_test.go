package console_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
)

// TestEventsListByDate: the events list shows each event's tickets sold of
// its capacity, the coming events soonest first, then the past ones.
func TestEventsListByDate(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	for _, e := range []struct {
		slug string
		in   time.Duration
	}{{"past", -48 * time.Hour}, {"soon", 24 * time.Hour}, {"later", 90 * 24 * time.Hour}} {
		ev := &admit.Event{OrganizationID: f.a.org.ID, Slug: e.slug, Name: e.slug, TimeZone: "Europe/Berlin",
			StartsAt: time.Now().Add(e.in).Truncate(time.Second), Currency: "EUR", Status: admit.EventDraft, HoldMinutes: 10}
		if err := f.db.CreateEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	_, body := b.get("/console/alpha")
	var got [][]string
	row := regexp.MustCompile(`(?s)<tr><td>(?:<a [^>]*>)?([^<]+)(?:</a>)?</td>\s*<td><time [^>]*>([^<]+)</time></td><td class="sold">([^<]+)</td>`)
	for _, m := range row.FindAllStringSubmatch(body, -1) {
		got = append(got, []string{m[1], m[3]})
		if !strings.HasSuffix(m[2], " Europe/Berlin") && !strings.HasSuffix(m[2], " UTC") {
			t.Errorf("%s starts %q: no zone named", m[1], m[2])
		}
	}
	want := [][]string{{"soon", "0 / 0"}, {"alpha conf", "1 / 10"}, {"later", "0 / 0"}, {"past", "0 / 0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events list (-want +got):\n%s", diff)
	}
}
