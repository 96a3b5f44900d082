package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/admithq/admit/internal/admit"
)

// TestOfflineCheckInSync: check-in staff fetch the list a phone keeps
// (the event's public key, the types admitted, the codes to refuse), and
// sync scans made offline: a ticket scanned twice is flagged, a repeated
// sync answers the same and checks in nothing more, and another
// organization's list is not found.
func TestOfflineCheckInSync(t *testing.T) {
	f := mustFixture(t)
	code := f.checkInPaidCode(t, f.a)
	ga := f.checkInGA(t, f.a)
	void, _ := f.checkInTicket(t, f.a.org.ID, f.a.event.ID, ga, "refunded", "void", "Vera Void")
	staff := f.mustUser(t, f.a.org, "door@example.com", admit.RoleCheckIn)
	door := f.newBrowser(t)
	door.mustLogin(staff.Email)
	lists, err := f.db.ListCheckInLists(t.Context(), f.a.org.ID, f.a.event.ID)
	if err != nil || len(lists) != 1 {
		t.Fatalf("the event's lists: %v %v", lists, err)
	}
	list := checkInPath("alpha", lists[0].ID)

	st, body := door.get(list)
	if st != http.StatusOK || !strings.Contains(body, `data-sync="`+list+`/sync"`) || !strings.Contains(body, `src="/static/checkin-offline.js"`) {
		t.Fatalf("check-in page: %d", st)
	}
	if st, body := door.get("/console/alpha/checkin/sw.js"); st != http.StatusOK || !strings.Contains(body, "addEventListener(\"fetch\"") {
		t.Errorf("service worker: %d", st)
	}
	st, body = door.get(list + "/offline")
	var kept struct {
		EventID     int64             `json:"event_id"`
		PublicKey   string            `json:"public_key"`
		TicketTypes map[string]string `json:"ticket_types"`
		CheckedIn   []string          `json:"checked_in"`
		Refused     map[string]string `json:"refused"`
	}
	if err := json.Unmarshal([]byte(body), &kept); st != http.StatusOK || err != nil {
		t.Fatalf("offline list: %d %v\n%s", st, err, body)
	}
	if kept.EventID != f.a.event.ID || kept.PublicKey == "" || kept.TicketTypes[strconv.FormatInt(ga, 10)] != "GA" || kept.Refused[void] != "void" {
		t.Errorf("offline list: %+v", kept)
	}
	key, err := f.db.TicketKey(t.Context(), f.a.org.ID, f.a.event.ID)
	if err != nil || key.PublicKey() != kept.PublicKey {
		t.Fatalf("the page's public key is not the event's: %v", err)
	}
	signed := key.Sign(ga, code)
	if ticket, ok := admit.ParseSignedTicket(signed); !ok || !ticket.Verify(kept.EventID, kept.PublicKey) {
		t.Fatalf("the ticket's signed code does not verify with the kept key")
	}

	door.get(list)
	scans := fmt.Sprintf(`[{"id":"s1","code":%q,"at":"2026-12-05T09:00:00Z"},{"id":"s2","code":%q,"at":"2026-12-05T09:01:00Z"}]`, signed, signed)
	type answer struct {
		Results []struct {
			ID, Outcome, Headline string
			Flagged, Replayed     bool
		}
	}
	sync := func() answer {
		t.Helper()
		st, body := door.post(list+"/sync", url.Values{"scans": {scans}})
		var a answer
		if err := json.Unmarshal([]byte(body), &a); st != http.StatusOK || err != nil {
			t.Fatalf("sync: %d %v\n%s", st, err, body)
		}
		return a
	}
	first := sync()
	if len(first.Results) != 2 || first.Results[0].ID != "s2" || !first.Results[0].Flagged || first.Results[0].Outcome != "already_checked_in" ||
		first.Results[1].ID != "s1" || first.Results[1].Flagged || first.Results[1].Outcome != "ok" {
		t.Errorf("first sync, flagged first: %+v", first.Results)
	}
	again := sync()
	for _, r := range again.Results {
		if !r.Replayed {
			t.Errorf("scan %s synced again is not a replay: %+v", r.ID, r)
		}
	}
	if all, active := f.checkInRows(t); all != 1 || active != 1 {
		t.Errorf("%d check-ins (%d in force) after syncing two scans of one ticket twice, want 1", all, active)
	}
	if _, body := door.get(list + "/offline"); !strings.Contains(body, `"checked_in":["`+code+`"]`) {
		t.Errorf("the kept list does not have the ticket checked in:\n%s", body)
	}
	if st, _ := door.post(list+"/sync", url.Values{"scans": {"not json"}}); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Errorf("sync of a broken body: %d, want 4xx", st)
	}
	if st, _ := door.post(list+"/sync", url.Values{"scans": {scans}, "_csrf": {"forged"}}); st != http.StatusForbidden {
		t.Errorf("sync without the page's token: %d, want 403", st)
	}

	beta := f.newBrowser(t)
	beta.mustLogin(f.b.owner.Email)
	for _, path := range []string{strings.Replace(list, "/alpha/", "/beta/", 1) + "/offline"} {
		if st, _ := beta.get(path); st != http.StatusNotFound {
			t.Errorf("beta GET %s: %d, want 404", path, st)
		}
	}
	beta.get("/console/beta")
	if st, _ := beta.post(strings.Replace(list, "/alpha/", "/beta/", 1)+"/sync", url.Values{"scans": {`[{"id":"x","code":"` + code + `"}]`}}); st != http.StatusNotFound {
		t.Errorf("beta syncing to alpha's list: %d, want 404", st)
	}
}
