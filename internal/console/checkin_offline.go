package console

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/templates"
)

// OfflineCheckInStore is what offline check-in needs from storage.
type OfflineCheckInStore interface {
	OfflineCheckInList(ctx context.Context, orgID, listID int64) (*admit.OfflineList, error)
	SyncCheckIns(ctx context.Context, orgID, listID, userID int64, scans []admit.OfflineScan) ([]admit.ScanResult, error)
}

// registerOfflineCheckIn adds what the door's phone uses when the venue's
// connection drops: the service worker (served under /checkin/ so that its
// scope covers the check-in pages), the list to keep, and the sync of the
// scans queued meanwhile.
func (h *Handler) registerOfflineCheckIn(staff *echo.Group) {
	staff.GET("/checkin/sw.js", h.checkInServiceWorker)
	staff.GET("/checkin/:list/offline", h.checkInOfflineList)
	staff.POST("/checkin/:list/sync", h.checkInSync)
}

// checkInServiceWorker serves the service worker that keeps the check-in
// page, its script and its list for when the connection drops.
func (h *Handler) checkInServiceWorker(c echo.Context) error {
	b, err := fs.ReadFile(templates.FS, "static/checkin-sw.js")
	if err != nil {
		return err
	}
	// A new release's worker must be picked up at the next visit.
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", b)
}

// offlineListJSON is the list as the phone keeps it.
type offlineListJSON struct {
	ListID      int64             `json:"list_id"`
	EventID     int64             `json:"event_id"`
	Name        string            `json:"name"`
	EventName   string            `json:"event_name"`
	PublicKey   string            `json:"public_key"`
	TicketTypes map[string]string `json:"ticket_types"`
	CheckedIn   []string          `json:"checked_in"`
	Refused     map[string]string `json:"refused"`
	Fetched     time.Time         `json:"fetched"`
}

// checkInOfflineList answers the list as the phone keeps it: the event's
// public key to verify signed codes, the types the list admits, and the
// codes to refuse.
func (h *Handler) checkInOfflineList(c echo.Context) error {
	id, err := checkInParamID(c, "list", "Check-in list")
	if err != nil {
		return err
	}
	m := currentMember(c)
	o, err := h.store.OfflineCheckInList(c.Request().Context(), m.org.ID, id)
	if err != nil {
		return err
	}
	out := offlineListJSON{ListID: o.ListID, EventID: o.EventID, Name: o.Name, EventName: o.EventName, PublicKey: o.PublicKey,
		TicketTypes: map[string]string{}, CheckedIn: o.CheckedIn, Refused: map[string]string{}, Fetched: o.Fetched}
	if out.CheckedIn == nil {
		out.CheckedIn = []string{}
	}
	for id, name := range o.TicketTypes {
		out.TicketTypes[strconv.FormatInt(id, 10)] = name
	}
	for code, why := range o.Refused {
		out.Refused[code] = string(why)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// scanJSON is one queued scan as the phone sends it.
type scanJSON struct {
	ID   string `json:"id"`
	Code string `json:"code"`
	At   string `json:"at"` // RFC 3339, the phone's clock
}

// scanResultJSON is what one synced scan came to.
type scanResultJSON struct {
	ID       string `json:"id"`
	Outcome  string `json:"outcome"`
	Flagged  bool   `json:"flagged"`
	Replayed bool   `json:"replayed"`
	Headline string `json:"headline"`
	Detail   string `json:"detail,omitempty"`
}

// checkInSync records the scans the phone queued offline and answers what
// each came to; those that were not check-ins (a ticket scanned twice, or
// checked in meanwhile by another door) are flagged for staff. The scans
// come as a form field, so the form's CSRF token guards the sync like any
// other form.
func (h *Handler) checkInSync(c echo.Context) error {
	l, ev, err := h.loadCheckInList(c)
	if err != nil {
		return err
	}
	var in []scanJSON
	if err := json.Unmarshal([]byte(c.FormValue("scans")), &in); err != nil {
		return admit.FieldError("scans", "The scans could not be read: send a JSON array of {id, code, at}.")
	}
	scans := make([]admit.OfflineScan, 0, len(in))
	for _, s := range in {
		at, _ := time.Parse(time.RFC3339Nano, s.At)
		scans = append(scans, admit.OfflineScan{ID: s.ID, Code: s.Code, At: at})
	}
	m := currentMember(c)
	results, err := h.store.SyncCheckIns(c.Request().Context(), m.org.ID, l.ID, m.user.ID, scans)
	if err != nil {
		return err
	}
	out := struct {
		Results []scanResultJSON `json:"results"`
	}{Results: []scanResultJSON{}}
	for _, r := range results {
		v := verdictFor(&r.Result, l, ev, m.org.Slug)
		row := scanResultJSON{ID: r.ScanID, Outcome: string(r.Result.Outcome), Flagged: r.Flagged(), Replayed: r.Replayed, Headline: v.Headline}
		if len(v.Details) > 0 {
			row.Detail = v.Details[0]
		}
		if r.Result.Outcome == admit.CheckInOK && !r.Replayed {
			h.audit(c, "checkin.created", r.Result.Code, l.Name+" (synced from offline)")
		}
		out.Results = append(out.Results, row)
	}
	sort.SliceStable(out.Results, func(i, j int) bool { return out.Results[i].Flagged && !out.Results[j].Flagged })
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}
