package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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

// TestAttendeeFiltersAndResend: the attendee list filters by ticket type
// and check-in state, and "Resend confirmations" queues one confirmation
// per paid order the filter matches, through the outbox.
func TestAttendeeFiltersAndResend(t *testing.T) {
	f := mustFixture(t)
	b := f.newBrowser(t)
	b.mustLogin(f.a.owner.Email)
	f.mustPaidOrder(t, b)
	types, err := f.db.ListTicketTypes(context.Background(), f.a.org.ID, f.a.event.ID, true)
	if err != nil || len(types) != 1 {
		t.Fatalf("ticket types: %v %v", types, err)
	}
	// The order's ticket answered "Vegan" to the diet question; the
	// other question went unanswered.
	diet := &admit.Question{OrganizationID: f.a.org.ID, EventID: f.a.event.ID, Label: "Diet", Kind: "text"}
	company := &admit.Question{OrganizationID: f.a.org.ID, EventID: f.a.event.ID, Label: "Company", Kind: "text"}
	for _, q := range []*admit.Question{diet, company} {
		if err := f.db.CreateQuestion(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.db.SQL().Exec(`INSERT INTO answers (ticket_id, question_id, organization_id, value)
		SELECT id, ?, organization_id, 'Vegan' FROM tickets WHERE order_id = ?`, diet.ID, f.a.orderID); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/console/alpha/events/%d/attendees", f.a.event.ID)
	resent := func() int {
		var n int
		f.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE organization_id = ? AND kind = 'email.order_confirmation' AND payload = ?`,
			f.a.org.ID, fmt.Sprintf(`{"order_id":%d,"resend":true}`, f.a.orderID)).Scan(&n)
		return n
	}
	for _, tc := range []struct {
		name   string
		filter url.Values
		rows   int
	}{
		{"by ticket type", url.Values{"type": {fmt.Sprint(types[0].ID)}}, 1},
		{"not checked in", url.Values{"checked_in": {"no"}}, 1},
		{"checked in", url.Values{"checked_in": {"yes"}}, 0},
		{"another type", url.Values{"type": {"999999"}}, 0},
		{"answer contains", url.Values{"question": {fmt.Sprint(diet.ID)}, "answer": {"vEG"}}, 1},
		{"another answer", url.Values{"question": {fmt.Sprint(diet.ID)}, "answer": {"meat"}}, 0},
		{"any answer", url.Values{"question": {fmt.Sprint(diet.ID)}, "answer": {""}}, 1},
		{"unanswered question", url.Values{"question": {fmt.Sprint(company.ID)}}, 0},
		{"wildcards are literal", url.Values{"question": {fmt.Sprint(diet.ID)}, "answer": {"%"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, body := b.get(base + "?" + tc.filter.Encode())
			if got := strings.Count(body, `class="badge status-valid">valid`); got != tc.rows {
				t.Errorf("%d tickets listed, want %d", got, tc.rows)
			}
			before := resent()
			if st, _ := b.post(base+"/resend", tc.filter); st != http.StatusSeeOther {
				t.Fatalf("resend: %d", st)
			}
			if got := resent() - before; got != tc.rows {
				t.Errorf("%d confirmations queued, want %d", got, tc.rows)
			}
		})
	}
}
