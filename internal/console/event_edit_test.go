package console_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/redis"
)

// eventFixture is the console fixture on Redis database 5, with the
// inventory gate the checkout uses, so tests can read its counters.
type eventFixture struct {
	*fixture
	gate *redis.Inventory
}

func mustEventFixture(tb testing.TB) *eventFixture {
	tb.Helper()
	f := mustFixtureOn(tb, 5)
	return &eventFixture{fixture: f, gate: f.gate}
}

// eventOwner returns a browser logged in as alpha's owner, with a CSRF
// token.
func (f *eventFixture) eventOwner(tb testing.TB) *browser {
	tb.Helper()
	b := f.newBrowser(tb)
	b.mustLogin(f.a.owner.Email)
	b.get("/console/alpha")
	return b
}

func (f *eventFixture) eventBySlug(tb testing.TB, org *admit.Organization, slug string) *admit.Event {
	tb.Helper()
	ev, err := f.db.FindEventBySlug(context.Background(), org.ID, slug)
	if err != nil {
		tb.Fatalf("event %s: %v", slug, err)
	}
	return ev
}

func (f *eventFixture) eventTypes(tb testing.TB, org *admit.Organization, eventID int64, withHidden bool) []*admit.TicketType {
	tb.Helper()
	types, err := f.db.ListTicketTypes(context.Background(), org.ID, eventID, withHidden)
	if err != nil {
		tb.Fatal(err)
	}
	return types
}

func (f *eventFixture) eventCount(tb testing.TB) (events, types int) {
	tb.Helper()
	if err := f.db.SQL().QueryRow(`SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM ticket_types)`).Scan(&events, &types); err != nil {
		tb.Fatal(err)
	}
	return events, types
}

func (f *eventFixture) eventAudited(tb testing.TB, org *admit.Organization, action string) bool {
	tb.Helper()
	var n int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE organization_id = ? AND action = ?`, org.ID, action).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n > 0
}

// eventProblemNextTo reports whether the page shows msg as the problem of
// the form field, after the field and before the next other field.
func eventProblemNextTo(body, field, msg string) bool {
	i := strings.Index(body, `name="`+field+`"`)
	if i < 0 {
		return false
	}
	rest := body[i+len(field)+7:]
	end := len(rest)
	for j := 0; ; {
		k := strings.Index(rest[j:], ` name="`)
		if k < 0 {
			break
		}
		j += k + 7
		if !strings.HasPrefix(rest[j:], field) {
			end = j
			break
		}
	}
	return strings.Contains(rest[:end], `<p class="error" role="alert">`+template.HTMLEscapeString(msg)+`</p>`)
}

func eventFormValues(kv ...string) url.Values {
	v := url.Values{"name": {"Go Days"}, "time_zone": {"Europe/Berlin"}, "starts_at": {"2027-05-10T09:00"},
		"ends_at": {"2027-05-11T18:00"}, "currency": {"EUR"}, "hold_minutes": {"10"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestEventLifecycle: an owner creates an event through the form, adds
// ticket types, reorders and hides them, publishes the event (and it is
// then public), closes its sales and archives it; every step is audited.
func TestEventLifecycle(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	ctx := context.Background()

	if st, body := b.get("/console/alpha"); st != 200 || !strings.Contains(body, `href="/console/alpha/events/new"`) {
		t.Fatalf("events list lacks the New event link: %d", st)
	}
	if st, body := b.get("/console/alpha/events/new"); st != 200 || !strings.Contains(body, `name="starts_at"`) {
		t.Fatalf("new event form: %d", st)
	}
	st, loc := b.post("/console/alpha/events/new", url.Values{
		"name": {"Go Days 2027"}, "slug": {""}, "description": {"**Talks** and workshops."},
		"venue": {"Kulturbrauerei"}, "address": {"Schönhauser Allee 36, Berlin"},
		"time_zone": {"other"}, "time_zone_other": {"Europe/Berlin"},
		"starts_at": {"2027-05-10T09:00"}, "ends_at": {"2027-05-11T18:30"},
		"currency": {"eur"}, "hold_minutes": {"15"}, "contact_email": {"Hello@Example.com"},
	})
	if st != http.StatusSeeOther {
		t.Fatalf("create event: %d %s", st, loc)
	}
	ev := f.eventBySlug(t, f.a.org, "go-days-2027")
	if want := fmt.Sprintf("/console/alpha/events/%d", ev.ID); loc != want {
		t.Errorf("created event redirects to %s, want %s", loc, want)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	got := struct {
		Name, Venue, TimeZone, Currency, Contact string
		Status                                   admit.EventStatus
		Hold                                     int
		Starts, Ends                             time.Time
	}{ev.Name, ev.Venue, ev.TimeZone, ev.Currency, ev.ContactEmail, ev.Status, ev.HoldMinutes, ev.StartsAt.UTC(), ev.EndsAt.UTC()}
	want := got
	want.Name, want.Venue, want.TimeZone, want.Currency, want.Contact = "Go Days 2027", "Kulturbrauerei", "Europe/Berlin", "EUR", "hello@example.com"
	want.Status, want.Hold = admit.EventDraft, 15
	want.Starts = time.Date(2027, 5, 10, 9, 0, 0, 0, berlin).UTC()
	want.Ends = time.Date(2027, 5, 11, 18, 30, 0, 0, berlin).UTC()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored event (-want +got):\n%s", diff)
	}
	if _, err := f.db.FindPublicEvent(ctx, "alpha", "go-days-2027"); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Errorf("a draft is public: %v", err)
	}
	// The edit form shows the times in the event's zone.
	if _, body := b.get(loc + "/edit"); !strings.Contains(body, `value="2027-05-10T09:00"`) || !strings.Contains(body, `<option value="Europe/Berlin" selected>`) {
		t.Error("edit form does not show the start in Europe/Berlin")
	}

	// Two ticket types, the second added after the first.
	for _, tt := range []url.Values{
		{"name": {"Standard"}, "price": {"129.00"}, "quantity": {"100"}, "min_per_order": {"1"}, "max_per_order": {"10"}},
		{"name": {"Student"}, "description": {"With a student card."}, "price": {"0.5"}, "quantity": {"20"}, "min_per_order": {"1"},
			"max_per_order": {"2"}, "sales_start": {"2027-01-01T10:00"}, "sales_end": {"2027-05-01T00:00"}},
	} {
		b.get(loc + "/ticket-types/new")
		if st, to := b.post(loc+"/ticket-types/new", tt); st != http.StatusSeeOther || to != loc {
			t.Fatalf("add ticket type %s: %d %s", tt.Get("name"), st, to)
		}
	}
	types := f.eventTypes(t, f.a.org, ev.ID, true)
	if len(types) != 2 || types[0].Name != "Standard" || types[1].Name != "Student" {
		t.Fatalf("ticket types after adding two: %v", typeNames(types))
	}
	if types[0].Price != 12900 || types[1].Price != 50 || types[1].MaxPerOrder != 2 {
		t.Errorf("prices %d and %d, want 12900 and 50", types[0].Price, types[1].Price)
	}
	if want := time.Date(2027, 1, 1, 10, 0, 0, 0, berlin); !types[1].SalesStart.Equal(want) {
		t.Errorf("sales start %v, want %v", types[1].SalesStart, want)
	}
	student, standard := types[1], types[0]
	typePath := func(tt *admit.TicketType) string { return fmt.Sprintf("%s/ticket-types/%d", loc, tt.ID) }

	_, body := b.get(loc)
	for _, link := range []string{loc + "/edit", typePath(student) + "/edit", typePath(student) + "/move", typePath(student) + "/hide", loc + "/ticket-types/new", loc + "/duplicate", loc + "/status"} {
		if !strings.Contains(body, link) {
			t.Errorf("dashboard lacks %s", link)
		}
	}

	// Reorder: Student up, then up again (already first).
	if st, _ := b.post(typePath(student)+"/move", url.Values{"direction": {"up"}}); st != http.StatusSeeOther {
		t.Fatalf("move up: %d", st)
	}
	if names := typeNames(f.eventTypes(t, f.a.org, ev.ID, true)); !cmp.Equal(names, []string{"Student", "Standard"}) {
		t.Errorf("after moving Student up: %v", names)
	}
	b.post(typePath(student)+"/move", url.Values{"direction": {"up"}})
	if _, body := b.get(loc); !strings.Contains(body, "already first") {
		t.Error("moving the first ticket type up does not say it is already first")
	}
	if names := typeNames(f.eventTypes(t, f.a.org, ev.ID, true)); !cmp.Equal(names, []string{"Student", "Standard"}) {
		t.Errorf("after moving the first up: %v", names)
	}
	if st, _ := b.post(typePath(student)+"/move", url.Values{"direction": {"sideways"}}); st != http.StatusUnprocessableEntity {
		t.Errorf("move sideways: %d, want 422", st)
	}
	var positions []int
	for _, tt := range f.eventTypes(t, f.a.org, ev.ID, true) {
		positions = append(positions, tt.Position)
	}
	if !cmp.Equal(positions, []int{0, 1}) {
		t.Errorf("positions %v, want [0 1]", positions)
	}

	// Hide Standard: buyers no longer see it; the dashboard still does.
	if st, _ := b.post(typePath(standard)+"/hide", nil); st != http.StatusSeeOther {
		t.Fatalf("hide: %d", st)
	}
	if names := typeNames(f.eventTypes(t, f.a.org, ev.ID, false)); !cmp.Equal(names, []string{"Student"}) {
		t.Errorf("visible after hiding Standard: %v", names)
	}
	if _, body := b.get(loc); !strings.Contains(body, typePath(standard)+"/unhide") {
		t.Error("dashboard offers no way to show the hidden ticket type")
	}

	// Publish: the event is public.
	for _, step := range []struct {
		to   admit.EventStatus
		want admit.EventStatus
		code int
	}{
		{admit.EventClosed, admit.EventDraft, http.StatusUnprocessableEntity}, // a draft cannot close
		{admit.EventPublished, admit.EventPublished, http.StatusSeeOther},
	} {
		if st, _ := b.post(loc+"/status", url.Values{"status": {string(step.to)}}); st != step.code {
			t.Errorf("status %s: %d, want %d", step.to, st, step.code)
		}
		if got := f.eventBySlug(t, f.a.org, "go-days-2027").Status; got != step.want {
			t.Errorf("after asking for %s the event is %s, want %s", step.to, got, step.want)
		}
	}
	if pub, err := f.db.FindPublicEvent(ctx, "alpha", "go-days-2027"); err != nil || pub.ID != ev.ID {
		t.Errorf("published event is not public: %v", err)
	}
	if st, _ := b.post(typePath(standard)+"/unhide", nil); st != http.StatusSeeOther {
		t.Fatalf("unhide: %d", st)
	}
	if n := len(f.eventTypes(t, f.a.org, ev.ID, false)); n != 2 {
		t.Errorf("%d visible ticket types after unhiding, want 2", n)
	}
	for _, s := range []admit.EventStatus{admit.EventClosed, admit.EventPublished, admit.EventClosed, admit.EventArchived, admit.EventDraft} {
		if st, to := b.post(loc+"/status", url.Values{"status": {string(s)}}); st != http.StatusSeeOther {
			t.Fatalf("status %s: %d %s", s, st, to)
		}
		if got := f.eventBySlug(t, f.a.org, "go-days-2027").Status; got != s {
			t.Fatalf("event is %s, want %s", got, s)
		}
	}
	for _, action := range []string{"event.created", "event.published", "event.closed", "event.reopened", "event.archived", "event.restored",
		"ticket_type.created", "ticket_type.moved", "ticket_type.hidden", "ticket_type.shown"} {
		if !f.eventAudited(t, f.a.org, action) {
			t.Errorf("%s is not in the audit log", action)
		}
	}
	if f.eventAudited(t, f.b.org, "event.created") {
		t.Error("alpha's change is in beta's audit log")
	}
}

func typeNames(types []*admit.TicketType) []string {
	var names []string
	for _, tt := range types {
		names = append(names, tt.Name)
	}
	return names
}

// TestEventEdit: the form saves every field; an unchanged form is fine;
// the currency is locked once the event has orders.
func TestEventEdit(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	path := fmt.Sprintf("/console/alpha/events/%d/edit", f.a.event.ID)
	st, body := b.get(path)
	if st != 200 || !strings.Contains(body, `value="alpha conf"`) || !strings.Contains(body, "currency cannot change") {
		t.Fatalf("edit form: %d, want it filled in and the currency locked", st)
	}
	form := eventFormValues("name", "Alpha Conference", "slug", "alpha-2027", "description", "New *text*", "venue", "Hall 1",
		"time_zone", "America/New_York", "starts_at", "2027-09-01T19:00", "ends_at", "", "hold_minutes", "20",
		"contact_email", "team@example.com", "currency", "EUR")
	if st, loc := b.post(path, form); st != http.StatusSeeOther {
		t.Fatalf("save: %d %s", st, loc)
	}
	ev := f.eventBySlug(t, f.a.org, "alpha-2027")
	ny, _ := time.LoadLocation("America/New_York")
	if ev.ID != f.a.event.ID || ev.Name != "Alpha Conference" || !ev.StartsAt.Equal(time.Date(2027, 9, 1, 19, 0, 0, 0, ny)) ||
		!ev.EndsAt.IsZero() || ev.HoldMinutes != 20 || ev.Status != admit.EventPublished || ev.Description != "New *text*" {
		t.Errorf("saved event: %+v", ev)
	}
	// The same form again changes nothing and is not an error.
	b.get(path)
	if st, _ := b.post(path, form); st != http.StatusSeeOther {
		t.Errorf("saving an unchanged form: %d", st)
	}
	form.Set("currency", "USD")
	if st, body := b.post(path, form); st != http.StatusUnprocessableEntity ||
		!eventProblemNextTo(body, "currency", "The currency cannot change: this event has orders in EUR.") {
		t.Errorf("currency change with orders: %d", st)
	}
	if ev := f.eventBySlug(t, f.a.org, "alpha-2027"); ev.Currency != "EUR" {
		t.Errorf("currency is %s", ev.Currency)
	}
	if !f.eventAudited(t, f.a.org, "event.updated") {
		t.Error("event.updated is not in the audit log")
	}
}

// TestEventFormBadInput: every problem of the event form is a 422 with the
// message next to its field and the input kept, escaped, and nothing is
// stored, for new events and edits alike.
func TestEventFormBadInput(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	script := `<script>alert(1)</script>`
	type problem struct{ field, msg string }
	cases := []struct {
		name string
		form url.Values
		want []problem
		kept []string
	}{
		{"empty", url.Values{}, []problem{{"name", "Name is required."}, {"slug", "Use 1 to 64 lower-case letters, digits and hyphens."},
			{"starts_at", "Start is required."}, {"currency", "Use a three-letter currency code such as EUR."},
			{"hold_minutes", "Hold time must be between 1 and 120 minutes."}, {"time_zone", "Choose a time zone such as Europe/Berlin."}}, nil},
		{"overlong", eventFormValues("name", strings.Repeat("n", 201), "slug", "ok", "venue", strings.Repeat("v", 201),
			"address", strings.Repeat("a", 501), "description", strings.Repeat("d", 20_001)),
			[]problem{{"name", "Name must be at most 200 characters."}, {"venue", "Venue must be at most 200 characters."},
				{"address", "Address must be at most 500 characters."}, {"description", "Description must be at most 20,000 characters."}}, nil},
		{"description too big to store", eventFormValues("description", strings.Repeat("😀", 17_000)),
			[]problem{{"description", "Description is too long to store; shorten it."}}, nil},
		{"script", eventFormValues("name", script, "slug", "x", "venue", script, "address", script, "description", script,
			"ends_at", "2027-05-10T08:00", "time_zone_other", script),
			[]problem{{"ends_at", "End must be after the start."}},
			[]string{`value="&lt;script&gt;alert(1)&lt;/script&gt;"`, `>&lt;script&gt;alert(1)&lt;/script&gt;</textarea>`}},
		{"end before start", eventFormValues("ends_at", "2027-05-09T18:00"), []problem{{"ends_at", "End must be after the start."}},
			[]string{`value="2027-05-09T18:00"`}},
		{"end equals start", eventFormValues("ends_at", "2027-05-10T09:00"), []problem{{"ends_at", "End must be after the start."}}, nil},
		{"not a date", eventFormValues("starts_at", "next tuesday", "ends_at", "2027-13-01T10:00"),
			[]problem{{"starts_at", "Enter a date and time such as 2027-03-15T09:00."},
				{"ends_at", "Enter a date and time such as 2027-03-15T18:00, or leave it empty."}}, []string{`value="next tuesday"`}},
		{"unknown zone", eventFormValues("time_zone", "other", "time_zone_other", "Mars/Olympus_Mons"),
			[]problem{{"time_zone", "Choose a time zone such as Europe/Berlin."}}, []string{`value="Mars/Olympus_Mons"`}},
		{"server zone", eventFormValues("time_zone", "other", "time_zone_other", "Local"),
			[]problem{{"time_zone", "Choose a time zone such as Europe/Berlin."}}, nil},
		{"hold time", eventFormValues("hold_minutes", "121"), []problem{{"hold_minutes", "Hold time must be between 1 and 120 minutes."}}, nil},
		{"hold time not a number", eventFormValues("hold_minutes", "ten"), []problem{{"hold_minutes", "Hold time must be between 1 and 120 minutes."}}, nil},
		{"currency", eventFormValues("currency", "EURO"), []problem{{"currency", "Use a three-letter currency code such as EUR."}}, nil},
		{"email", eventFormValues("contact_email", "not an email"),
			[]problem{{"contact_email", "Enter an email address such as name@example.com, or leave it empty."}}, nil},
		{"bad slug", eventFormValues("slug", "Bad Slug!"), []problem{{"slug", "Use 1 to 64 lower-case letters, digits and hyphens."}}, nil},
		{"taken slug", eventFormValues("slug", "conf"), []problem{{"slug", "Another event of this organization uses this address."}}, nil},
	}
	beforeEvents, beforeTypes := f.eventCount(t)
	before := f.eventBySlug(t, f.a.org, "conf")
	paths := map[string]string{"new": "/console/alpha/events/new", "edit": fmt.Sprintf("/console/alpha/events/%d/edit", before.ID)}
	for _, form := range []string{"new", "edit"} {
		for _, tt := range cases {
			t.Run(form+"/"+tt.name, func(t *testing.T) {
				if form == "edit" && tt.name == "taken slug" {
					tt.form.Set("slug", "conf-other")
					mustEventWithSlug(t, f, "conf-other")
				}
				st, body := b.post(paths[form], tt.form)
				if st != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", st)
				}
				for _, p := range tt.want {
					if !eventProblemNextTo(body, p.field, p.msg) {
						t.Errorf("no %q next to %s", p.msg, p.field)
					}
				}
				for _, k := range tt.kept {
					if !strings.Contains(body, k) {
						t.Errorf("input %s is not kept", k)
					}
				}
				if strings.Contains(body, "<script>alert(1)") {
					t.Error("markup from the form is rendered unescaped")
				}
			})
		}
	}
	afterEvents, afterTypes := f.eventCount(t)
	if afterEvents != beforeEvents+1 || afterTypes != beforeTypes { // +1: conf-other
		t.Errorf("events %d→%d, ticket types %d→%d after rejected forms", beforeEvents, afterEvents, beforeTypes, afterTypes)
	}
	after := f.eventBySlug(t, f.a.org, "conf")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("event changed by rejected edits (-before +after):\n%s", diff)
	}
}

func mustEventWithSlug(tb testing.TB, f *eventFixture, slug string) {
	tb.Helper()
	ev := &admit.Event{OrganizationID: f.a.org.ID, Slug: slug, Name: slug, TimeZone: "UTC", StartsAt: time.Now().Add(time.Hour),
		Currency: "EUR", HoldMinutes: 10}
	if err := f.db.CreateEvent(context.Background(), ev); err != nil {
		tb.Fatal(err)
	}
}

// TestEventEscaping: markup in an event's fields is shown as text on the
// dashboard, the events list and the edit form.
func TestEventEscaping(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	name := `<img src=x onerror=alert(1)> & "quotes"`
	st, loc := b.post("/console/alpha/events/new", eventFormValues("name", name, "slug", "escaped", "venue", "<b>Hall</b>",
		"description", "<script>alert(2)</script>"))
	if st != http.StatusSeeOther {
		t.Fatalf("create: %d %s", st, loc)
	}
	for _, path := range []string{"/console/alpha", loc, loc + "/edit"} {
		_, body := b.get(path)
		if strings.Contains(body, "<img src=x") || strings.Contains(body, "<b>Hall") || strings.Contains(body, "<script>alert(2)") {
			t.Errorf("%s renders the event's markup", path)
		}
		if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;") {
			t.Errorf("%s does not show the name as text", path)
		}
	}
}

// TestEventDuplicate: a copy is a draft with a new address and the ticket
// types, their counters at zero; copies of copies get numbered addresses.
func TestEventDuplicate(t *testing.T) {
	f := mustEventFixture(t)
	b := f.eventOwner(t)
	orig := f.eventBySlug(t, f.a.org, "conf")
	origTypes := f.eventTypes(t, f.a.org, orig.ID, true)
	if origTypes[0].Sold+origTypes[0].Reserved == 0 {
		t.Fatal("the fixture's ticket type has nothing sold or held")
	}
	st, loc := b.post(fmt.Sprintf("/console/alpha/events/%d/duplicate", orig.ID), nil)
	if st != http.StatusSeeOther {
		t.Fatalf("duplicate: %d %s", st, loc)
	}
	dup := f.eventBySlug(t, f.a.org, "conf-copy")
	if want := fmt.Sprintf("/console/alpha/events/%d/edit", dup.ID); loc != want {
		t.Errorf("duplicate redirects to %s, want %s", loc, want)
	}
	if dup.Status != admit.EventDraft || dup.Name != orig.Name+" (copy)" || dup.Currency != orig.Currency || !dup.StartsAt.Equal(orig.StartsAt) ||
		dup.HoldMinutes != orig.HoldMinutes || dup.TimeZone != orig.TimeZone {
		t.Errorf("copy: %+v", dup)
	}
	types := f.eventTypes(t, f.a.org, dup.ID, true)
	if len(types) != len(origTypes) {
		t.Fatalf("copy has %d ticket types, want %d", len(types), len(origTypes))
	}
	for i, tt := range types {
		o := origTypes[i]
		if tt.Name != o.Name || tt.Price != o.Price || tt.Quantity != o.Quantity || tt.Sold != 0 || tt.Reserved != 0 || tt.ID == o.ID {
			t.Errorf("copied ticket type %+v of %+v", tt, o)
		}
	}
	b.get(loc)
	b.post(fmt.Sprintf("/console/alpha/events/%d/duplicate", orig.ID), nil)
	b.post(fmt.Sprintf("/console/alpha/events/%d/duplicate", dup.ID), nil)
	for _, slug := range []string{"conf-copy-2", "conf-copy-3"} {
		if ev := f.eventBySlug(t, f.a.org, slug); ev.Name != orig.Name+" (copy)" {
			t.Errorf("%s is named %q", slug, ev.Name)
		}
	}
	if !f.eventAudited(t, f.a.org, "event.duplicated") {
		t.Error("event.duplicated is not in the audit log")
	}
	if _, err := f.db.FindPublicEvent(context.Background(), "alpha", "conf-copy"); admit.ErrorCode(err) != admit.ENOTFOUND {
		t.Error("a copy is public")
	}
}

// TestEventTenantIsolation: a member of beta gets 404 for every event and
// ticket type route naming alpha's objects, through either organization's
// URLs, and changes nothing; check-in staff of alpha get 403.
func TestEventTenantIsolation(t *testing.T) {
	f := mustEventFixture(t)
	a, bt := f.a, f.b
	aType := f.eventTypes(t, a.org, a.event.ID, true)[0]
	bType := f.eventTypes(t, bt.org, bt.event.ID, true)[0]
	beforeEvent := f.eventBySlug(t, a.org, "conf")
	beforeEvents, beforeTypes := f.eventCount(t)

	valid := map[string]url.Values{
		"edit":             eventFormValues("name", "Hijacked", "slug", "hijacked"),
		"status":           {"status": {"draft"}},
		"ticket-types/new": {"name": {"Hijack"}, "price": {"1.00"}, "quantity": {"5"}, "min_per_order": {"1"}, "max_per_order": {"2"}},
		"type/edit":        {"name": {"Hijacked"}, "price": {"0"}, "quantity": {"1000"}, "min_per_order": {"1"}, "max_per_order": {"2"}},
		"move":             {"direction": {"down"}},
	}
	type route struct {
		method, path string
		form         url.Values
	}
	routesFor := func(org string, eventID, typeID int64) []route {
		ev := fmt.Sprintf("/console/%s/events/%d", org, eventID)
		tt := fmt.Sprintf("%s/ticket-types/%d", ev, typeID)
		return []route{
			{"GET", ev + "/edit", nil},
			{"POST", ev + "/edit", valid["edit"]},
			{"POST", ev + "/duplicate", nil},
			{"POST", ev + "/status", valid["status"]},
			{"GET", ev + "/ticket-types/new", nil},
			{"POST", ev + "/ticket-types/new", valid["ticket-types/new"]},
			{"GET", tt + "/edit", nil},
			{"POST", tt + "/edit", valid["type/edit"]},
			{"POST", tt + "/hide", nil},
			{"POST", tt + "/unhide", nil},
			{"POST", tt + "/move", valid["move"]},
		}
	}
	var foreign []route
	foreign = append(foreign, routesFor("alpha", a.event.ID, aType.ID)...) // not a member of alpha
	foreign = append(foreign, routesFor("beta", a.event.ID, aType.ID)...)  // alpha's ids under beta's URL
	for _, r := range routesFor("beta", bt.event.ID, aType.ID) {           // beta's event, alpha's ticket type
		if strings.Contains(r.path, fmt.Sprintf("/ticket-types/%d/", aType.ID)) {
			foreign = append(foreign, r)
		}
	}
	foreign = append(foreign, routesFor("beta", a.event.ID, bType.ID)...) // alpha's event, beta's ticket type
	foreign = append(foreign, route{"GET", "/console/alpha/events/new", nil}, route{"POST", "/console/alpha/events/new", eventFormValues("slug", "planted")})

	b := f.newBrowser(t)
	b.mustLogin(bt.owner.Email)
	b.get("/console/beta")
	for _, r := range foreign {
		var st int
		var body string
		if r.method == "GET" {
			st, body = b.get(r.path)
		} else {
			form := url.Values{}
			for k, v := range r.form {
				form[k] = v
			}
			st, body = b.post(r.path, form)
		}
		if st != http.StatusNotFound || strings.Contains(body, "alpha conf") {
			t.Errorf("%s %s as a member of beta: %d, want 404", r.method, r.path, st)
		}
	}
	// Beta's own routes work, so the 404s above are about the ids.
	own := fmt.Sprintf("/console/beta/events/%d/ticket-types/%d/edit", bt.event.ID, bType.ID)
	if st, body := b.get(own); st != 200 || !strings.Contains(body, `value="GA"`) {
		t.Errorf("beta's own ticket type: %d", st)
	}

	staff := f.mustUser(t, a.org, "door@example.com", admit.RoleCheckIn)
	s := f.newBrowser(t)
	s.mustLogin(staff.Email)
	s.get("/console/alpha")
	for _, r := range append(routesFor("alpha", a.event.ID, aType.ID), route{"GET", "/console/alpha/events/new", nil},
		route{"POST", "/console/alpha/events/new", eventFormValues("slug", "by-staff")}) {
		var st int
		if r.method == "GET" {
			st, _ = s.get(r.path)
		} else {
			form := url.Values{}
			for k, v := range r.form {
				form[k] = v
			}
			st, _ = s.post(r.path, form)
		}
		if st != http.StatusForbidden {
			t.Errorf("check-in staff %s %s: %d, want 403", r.method, r.path, st)
		}
	}
	if _, body := s.get("/console/alpha"); strings.Contains(body, "/events/new") {
		t.Error("check-in staff are offered the New event button")
	}

	afterEvents, afterTypes := f.eventCount(t)
	if afterEvents != beforeEvents || afterTypes != beforeTypes {
		t.Errorf("events %d→%d, ticket types %d→%d after foreign requests", beforeEvents, afterEvents, beforeTypes, afterTypes)
	}
	if diff := cmp.Diff(beforeEvent, f.eventBySlug(t, a.org, "conf")); diff != "" {
		t.Errorf("alpha's event changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(aType, f.eventTypes(t, a.org, a.event.ID, true)[0]); diff != "" {
		t.Errorf("alpha's ticket type changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(bType, f.eventTypes(t, bt.org, bt.event.ID, true)[0]); diff != "" {
		t.Errorf("beta's ticket type changed through alpha's event (-before +after):\n%s", diff)
	}
}
