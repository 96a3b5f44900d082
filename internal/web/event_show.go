package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/admithq/admit/internal/admit"
)

// csrfPlaceholder stands in for the visitor's CSRF token in cached pages;
// it is replaced on every response, so a cached page never carries anyone
// else's token.
const csrfPlaceholder = "__ADMIT_CSRF_TOKEN__"

type ticketTypeView struct {
	ID          int64
	Name        string
	Description string
	Price       string
	State       admit.Availability
	StateLabel  string
	Remaining   int
	Options     []int // the quantities the select offers
	Selected    int
	Problem     string
	// LowStock is how many are left when the low-stock notice shows
	// (flag checkout.low_stock_notice); 0: it does not.
	LowStock int
}

type eventPage struct {
	Base        basePage
	Event       *admit.Event
	Org         string
	When        string
	StartsISO   string
	Description template.HTML
	Closed      bool
	OnSale      bool
	TicketTypes []ticketTypeView
	Problem     string
	Code        string
	CodeProblem string
	// SoldOut lists the ticket types whose waiting list a visitor can join.
	SoldOut []ticketTypeView
	Notice  string
	// Through tells a visitor the waiting room just let through how long
	// their turn lasts.
	Through   string
	Organizer string
	MapURL    string
	// Preview marks the page an organizer previews from the console.
	Preview          bool
	WaitlistName     string
	WaitlistEmail    string
	WaitlistProblems admit.Problems
}

// eventShow renders the public event page. The rendered page is cached for a
// few seconds: availability shown here may be that old, and the hold step
// is what decides.
func (h *Handler) eventShow(c echo.Context) error {
	orgSlug, eventSlug := c.Param("org"), c.Param("event")
	if !admit.ValidSlug(orgSlug) || !admit.ValidSlug(eventSlug) {
		return admit.Errorf(admit.ENOTFOUND, "Event not found.")
	}
	if code := c.QueryParam("code"); code != "" {
		return h.eventWithCode(c, orgSlug, eventSlug, code)
	}
	if c.QueryParam("through") == "1" {
		return h.eventThroughQueue(c, orgSlug, eventSlug)
	}
	key := "event-page:v3:" + orgSlug + ":" + eventSlug
	queueURL := "/e/" + orgSlug + "/" + eventSlug + "/queue"
	now := time.Now()
	page, ok := h.local.get(key, now)
	if !ok {
		if body, hit := h.cache.Get(key); hit {
			page, ok = newCachedPage(body), true
			h.local.set(key, page, now)
		}
	}
	// A cached page starts with a marker naming the event and whether its
	// organizer turned the waiting room on, so the pass is checked (and an
	// arrival counted) without a database query.
	serveCached := func(page cachedPage, how string) (bool, error) {
		id, room, marked := pageMarker(page.body)
		if !marked {
			return false, nil
		}
		if !h.admitted(c, &admit.Event{ID: id, WaitingRoom: room}) {
			return true, c.Redirect(http.StatusSeeOther, queueURL)
		}
		c.Response().Header().Set("X-Cache", how)
		return true, h.sharedPage(c, page)
	}
	if ok {
		if served, err := serveCached(page, "hit"); served {
			return err
		}
	}
	ctx := c.Request().Context()
	ev, err := h.store.FindPublicEvent(ctx, orgSlug, eventSlug)
	var body []byte
	if err == nil {
		if !h.admitted(c, ev) {
			return c.Redirect(http.StatusSeeOther, queueURL)
		}
		body, err = h.renderEvent(c, orgSlug, ev, nil, nil, "")
	}
	if err != nil {
		// The page cannot be rendered afresh (MySQL failing over): show
		// the last one this process rendered or fetched, if it is recent,
		// rather than an error (stale-if-error).
		if page, ok := h.local.stale(key, now, pageStaleFor); ok && admit.ErrorCode(err) == admit.EINTERNAL {
			if served, serr := serveCached(page, "stale"); served {
				return serr
			}
		}
		return err
	}
	marker := pageMarkerPrefix + strconv.FormatInt(ev.ID, 10)
	if ev.WaitingRoom {
		marker += roomMarkerSuffix
	}
	body = append([]byte(marker+pageMarkerEnd), body...)
	h.cache.Set(key, body, h.ttl)
	page = newCachedPage(body)
	h.local.set(key, page, now)
	c.Response().Header().Set("X-Cache", "miss")
	return h.sharedPage(c, page)
}

// eventWithCode is the event page for a visitor with an access code. A code
// may unlock hidden ticket types: this page is the buyer's own and never
// cached.
func (h *Handler) eventWithCode(c echo.Context, orgSlug, eventSlug, code string) error {
	ev, err := h.store.FindPublicEvent(c.Request().Context(), orgSlug, eventSlug)
	if err != nil {
		return err
	}
	if !h.admitted(c, ev) {
		return c.Redirect(http.StatusSeeOther, "/e/"+orgSlug+"/"+eventSlug+"/queue")
	}
	// The page answers whether a code exists, so it is limited like a
	// hold with a code.
	status := http.StatusOK
	if h.codes.Blocked(c.Request().Context(), buyer(c)) {
		status = http.StatusTooManyRequests
		c.Response().Header().Set("Retry-After", "900")
	}
	body, err := h.renderEventWithCode(c, orgSlug, ev, nil, nil, "", code)
	if err != nil {
		return err
	}
	return h.htmlWithToken(c, status, body)
}

// eventThroughQueue is the event page for a visitor the waiting room has
// just let through: it says how long their pass lasts. It is the visitor's
// own page, rendered once per pass, never cached.
func (h *Handler) eventThroughQueue(c echo.Context, orgSlug, eventSlug string) error {
	ev, err := h.store.FindPublicEvent(c.Request().Context(), orgSlug, eventSlug)
	if err != nil {
		return err
	}
	queueURL := "/e/" + orgSlug + "/" + eventSlug + "/queue"
	if !h.admitted(c, ev) {
		return c.Redirect(http.StatusSeeOther, queueURL)
	}
	page, err := h.eventPageData(c, orgSlug, ev, nil, nil, "", "")
	if err != nil {
		return err
	}
	if ev.WaitingRoom || h.checkout.Room(c.Request().Context(), ev).WaitingRoom {
		page.Through = "You're through! You have " + strconv.Itoa(int(admit.PassLifetime/time.Minute)) +
			" minutes to choose your tickets; once they are held, the checkout keeps them for you."
	}
	body, err := h.pages.Render("event", page)
	if err != nil {
		return err
	}
	return h.htmlWithToken(c, http.StatusOK, body)
}

// renderEvent renders the event page with the buyer's choices and problems
// (after a failed hold), or none (the cached page).
func (h *Handler) renderEvent(c echo.Context, orgSlug string, ev *admit.Event, selected map[int64]int, problems admit.Problems, problem string) ([]byte, error) {
	return h.renderEventWithCode(c, orgSlug, ev, selected, problems, problem, "")
}

// renderEventWithCode renders the event page for a buyer who entered a
// discount code: the code stays in the form, and the hidden ticket types it
// unlocks are offered.
func (h *Handler) renderEventWithCode(c echo.Context, orgSlug string, ev *admit.Event, selected map[int64]int, problems admit.Problems, problem, code string) ([]byte, error) {
	page, err := h.eventPageData(c, orgSlug, ev, selected, problems, problem, code)
	if err != nil {
		return nil, err
	}
	return h.pages.Render("event", page)
}

// eventPageData builds the event page for the visitor's choices and code.
func (h *Handler) eventPageData(c echo.Context, orgSlug string, ev *admit.Event, selected map[int64]int, problems admit.Problems, problem, code string) (*eventPage, error) {
	ctx := c.Request().Context()
	var dc *admit.DiscountCode
	codeProblem := problems.For("discount_code")
	if admit.NormalizeCode(code) != "" && codeProblem == "" {
		var err error
		dc, err = h.codes.FindCode(ctx, ev, buyer(c), code)
		if e := admit.ErrorCode(err); e == admit.EINVALID || e == admit.ERATELIMITED {
			codeProblem = admit.ErrorMessage(err)
		} else if err != nil {
			return nil, err
		}
	}
	all, err := h.store.ListTicketTypes(ctx, ev.OrganizationID, ev.ID, true)
	if err != nil {
		return nil, err
	}
	var types []*admit.TicketType
	for _, t := range all {
		if !t.Hidden || (dc != nil && dc.Unlocks(t.ID)) {
			types = append(types, t)
		}
	}
	org, err := h.store.FindOrganization(ctx, ev.OrganizationID)
	if err != nil {
		return nil, err
	}
	page := eventPage{
		Base: basePage{CSRF: csrfPlaceholder, Home: "/e/" + orgSlug, Meta: pageMeta{
			Title: ev.Name, Description: eventSummary(ev, org), Image: ev.BannerURL, URL: strings.TrimRight(h.checkout.BaseURL(), "/") + "/e/" + orgSlug + "/" + ev.Slug}},
		Organizer:   org.Name,
		MapURL:      mapURL(ev),
		Event:       ev,
		Org:         orgSlug,
		When:        formatWhen(ev),
		StartsISO:   ev.StartsAt.UTC().Format(time.RFC3339),
		Description: paragraphs(ev.Description),
		Closed:      ev.Status == admit.EventClosed,
		Problem:     problem,
		Code:        admit.NormalizeCode(code),
		CodeProblem: codeProblem,
	}
	now := h.now()
	lowStock := h.flagOn(ctx, admit.FlagLowStockNotice, ev.OrganizationID, orgSlug)
	for _, t := range types {
		state := t.AvailabilityAt(now, ev.StartsAt)
		if page.Closed && state == admit.OnSale {
			state = admit.SalesEnded
		}
		v := ticketTypeView{
			ID: t.ID, Name: t.Name, Description: t.Description,
			Price: h.priceLabel(t, ev, dc), State: state,
			StateLabel: stateLabel(state, t, ev), Remaining: t.Remaining(),
			Selected: selected[t.ID], Problem: problems.For("ticket_type_" + strconv.FormatInt(t.ID, 10)),
		}
		if r := t.Remaining(); lowStock && state == admit.OnSale && r <= lowStockAt {
			// The notice says it where the buyer chooses; the state
			// line need not say it again.
			v.LowStock, v.StateLabel = r, "On sale"
		}
		if state == admit.OnSale {
			page.OnSale = true
			most := min(t.MaxPerOrder, t.Remaining())
			v.Options = []int{0}
			for q := t.MinPerOrder; q <= most; q++ {
				v.Options = append(v.Options, q)
			}
		}
		if state == admit.SoldOut && !t.Hidden {
			page.SoldOut = append(page.SoldOut, v)
		}
		page.TicketTypes = append(page.TicketTypes, v)
	}
	return &page, nil
}

// eventSummary is the event in a sentence, for search results and link
// previews: when, where and who.
func eventSummary(ev *admit.Event, org *admit.Organization) string {
	s := formatWhen(ev)
	if ev.Venue != "" {
		s += " at " + ev.Venue
	}
	s += ". Tickets from " + org.Name + "."
	return s
}

// mapURL links the venue to a map: OpenStreetMap's search finds an
// address anywhere without an API key or a script on our page.
func mapURL(ev *admit.Event) string {
	place := strings.TrimSpace(strings.TrimSuffix(ev.Venue+", "+ev.Address, ", "))
	if place == "" || place == "," {
		return ""
	}
	return "https://www.openstreetmap.org/search?query=" + url.QueryEscape(place)
}

// priceLabel shows the price, and the discounted one when a code applies.
func (h *Handler) priceLabel(t *admit.TicketType, ev *admit.Event, dc *admit.DiscountCode) string {
	price := admit.FormatMoney(t.Price, ev.Currency)
	if dc != nil && dc.AppliesTo(t.ID) && t.Price > 0 {
		if d := dc.Discounted(t.Price); d != t.Price {
			return admit.FormatMoney(d, ev.Currency) + " (was " + price + ")"
		}
	}
	return price
}

const (
	pageMarkerPrefix = "<!--admit-event:"
	roomMarkerSuffix = ":waiting-room"
	pageMarkerEnd    = "-->\n"
)

// pageMarker returns the event id a cached page's marker names and whether
// the event's organizer turned its waiting room on.
func pageMarker(body []byte) (id int64, room bool, ok bool) {
	rest, ok := bytes.CutPrefix(body, []byte(pageMarkerPrefix))
	if !ok {
		return 0, false, false
	}
	end := bytes.Index(rest, []byte(pageMarkerEnd))
	if end < 0 {
		return 0, false, false
	}
	text, room := strings.CutSuffix(string(rest[:end]), roomMarkerSuffix)
	id, err := strconv.ParseInt(text, 10, 64)
	return id, room, err == nil
}

// withoutMarker is the part of a cached page that is sent.
func withoutMarker(body []byte) []byte {
	if _, _, ok := pageMarker(body); ok {
		return body[bytes.Index(body, []byte(pageMarkerEnd))+len(pageMarkerEnd):]
	}
	return body
}

// privatePage is the Cache-Control of every page that carries the visitor's
// CSRF token. Private: a shared cache (a CDN, a company proxy) must never
// store one, or it would hand one visitor's token to the next; the token
// per visitor stays, it is what makes the forms safe. No-cache: the browser
// may keep the page but asks again each time, since availability changes;
// a page that has not changed costs a 304 and no body. What a CDN can take
// is everything without a token: /static (public, max-age and an ETag).
const privatePage = "private, no-cache"

// sharedPage sends a cached page with the visitor's own token, and answers
// a conditional request that still matches with 304 and no body. The ETag
// is over the exact bytes sent: the shared page's hash, computed once when
// the page was cached, combined with the token, so it differs per visitor
// and a visitor can never be told that another's page is theirs.
func (h *Handler) sharedPage(c echo.Context, page cachedPage) error {
	token, _ := c.Get(csrfContextKey).(string)
	escaped := template.HTMLEscapeString(token)
	sum := sha256.New()
	sum.Write(page.sum[:])
	sum.Write([]byte(escaped))
	etag := `"` + hex.EncodeToString(sum.Sum(nil)[:16]) + `"`
	header := c.Response().Header()
	header.Set("Cache-Control", privatePage)
	header.Set("ETag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.HTMLBlob(http.StatusOK, bytes.ReplaceAll(withoutMarker(page.body), []byte(csrfPlaceholder), []byte(escaped)))
}

// etagMatches is If-None-Match's weak comparison of a list of entity tags
// (or *) against ours.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		if t = strings.TrimSpace(t); t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// htmlWithToken writes a page rendered with the CSRF placeholder, putting
// in the visitor's own token.
func (h *Handler) htmlWithToken(c echo.Context, status int, body []byte) error {
	token, _ := c.Get(csrfContextKey).(string)
	c.Response().Header().Set("Cache-Control", privatePage)
	return c.HTMLBlob(status, bytes.ReplaceAll(body, []byte(csrfPlaceholder), []byte(template.HTMLEscapeString(token))))
}

func stateLabel(s admit.Availability, t *admit.TicketType, ev *admit.Event) string {
	switch s {
	case admit.SoldOut:
		return "Sold out"
	case admit.NotYetOnSale:
		return "On sale from " + t.SalesStart.In(ev.Location()).Format("Mon 2 Jan 2006, 15:04")
	case admit.SalesEnded:
		return "Sales ended"
	}
	if r := t.Remaining(); r <= 10 {
		return "On sale · only " + strconv.Itoa(r) + " left"
	}
	return "On sale"
}

// formatWhen shows the event's dates in its own time zone.
func formatWhen(ev *admit.Event) string {
	loc := ev.Location()
	start := ev.StartsAt.In(loc)
	s := start.Format("Monday 2 January 2006, 15:04")
	if !ev.EndsAt.IsZero() {
		end := ev.EndsAt.In(loc)
		if end.YearDay() == start.YearDay() && end.Year() == start.Year() {
			s += " – " + end.Format("15:04")
		} else {
			s += " – " + end.Format("Monday 2 January 2006, 15:04")
		}
	}
	return s
}

// markdown renders event descriptions: CommonMark with tables,
// strikethrough and bare links, a line break where the organizer typed one
// (as descriptions written before Markdown expect), and raw HTML left out.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
	goldmark.WithRendererOptions(html.WithHardWraps()),
)

// descriptionPolicy is the allow-list every rendered description passes
// through: goldmark already drops raw HTML and dangerous link schemes, and
// the sanitizer makes sure nothing else an organizer writes becomes markup
// or script on a page buyers trust.
var descriptionPolicy = bluemonday.UGCPolicy()

// paragraphs renders the organizer's Markdown description as sanitized
// HTML.
func paragraphs(text string) template.HTML {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(text), &buf); err != nil {
		// Converting into a buffer cannot fail on I/O; should the parser
		// ever refuse, the text is still shown, escaped.
		return template.HTML("<p>" + template.HTMLEscapeString(text) + "</p>")
	}
	return template.HTML(descriptionPolicy.SanitizeBytes(buf.Bytes())) // sanitized just above
}

func itoa(n int) string { return strconv.Itoa(n) }

// PreviewEvent renders the public page of ev, a draft included, for a
// member of org (the console checks who asks). The page says it is a
// preview; nothing of it is cached.
func (h *Handler) PreviewEvent(c echo.Context, org *admit.Organization, ev *admit.Event) error {
	page, err := h.eventPageData(c, org.Slug, ev, nil, nil, "", "")
	if err != nil {
		return err
	}
	page.Preview = true
	body, err := h.pages.Render("event", page)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Robots-Tag", "noindex")
	return h.htmlWithToken(c, http.StatusOK, body)
}
