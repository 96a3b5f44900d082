package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
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
	SoldOut          []ticketTypeView
	Notice           string
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
		// A code may unlock hidden ticket types: this page is the buyer's
		// own and never cached.
		ev, err := h.store.FindPublicEvent(c.Request().Context(), orgSlug, eventSlug)
		if err != nil {
			return err
		}
		if !h.admitted(c, ev) {
			return c.Redirect(http.StatusSeeOther, "/e/"+orgSlug+"/"+eventSlug+"/queue")
		}
		body, err := h.renderEventWithCode(c, orgSlug, ev, nil, nil, "", code)
		if err != nil {
			return err
		}
		return h.htmlWithToken(c, http.StatusOK, body)
	}
	key := "event-page:v2:" + orgSlug + ":" + eventSlug
	queueURL := "/e/" + orgSlug + "/" + eventSlug + "/queue"
	now := time.Now()
	body, ok := h.local.get(key, now)
	if !ok {
		if body, ok = h.cache.Get(key); ok {
			h.local.set(key, body, now)
		}
	}
	if ok {
		// A cached page of an event with a waiting room starts with a
		// marker, so the pass is checked without a database query.
		if id, ok := roomMarker(body); ok && !h.admitted(c, &admit.Event{ID: id, WaitingRoom: true}) {
			return c.Redirect(http.StatusSeeOther, queueURL)
		}
		c.Response().Header().Set("X-Cache", "hit")
		return h.htmlWithToken(c, http.StatusOK, body)
	}
	ctx := c.Request().Context()
	ev, err := h.store.FindPublicEvent(ctx, orgSlug, eventSlug)
	if err != nil {
		return err
	}
	if !h.admitted(c, ev) {
		return c.Redirect(http.StatusSeeOther, queueURL)
	}
	body, err = h.renderEvent(c, orgSlug, ev, nil, nil, "")
	if err != nil {
		return err
	}
	if ev.WaitingRoom {
		body = append([]byte(roomMarkerPrefix+strconv.FormatInt(ev.ID, 10)+"-->\n"), body...)
	}
	h.cache.Set(key, body, h.ttl)
	h.local.set(key, body, now)
	c.Response().Header().Set("X-Cache", "miss")
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
		dc, err = h.store.FindDiscountCode(ctx, ev.OrganizationID, ev.ID, code)
		if admit.ErrorCode(err) == admit.EINVALID {
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
	page := eventPage{
		Base:        basePage{CSRF: csrfPlaceholder},
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

const roomMarkerPrefix = "<!--admit-waiting-room:"

// roomMarker returns the event id a cached page's waiting-room marker
// names, if it has one.
func roomMarker(body []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(body, []byte(roomMarkerPrefix))
	if !ok {
		return 0, false
	}
	end := bytes.Index(rest, []byte("-->"))
	if end < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return id, err == nil
}

// htmlWithToken writes a page rendered with the CSRF placeholder, putting
// in the visitor's own token.
func (h *Handler) htmlWithToken(c echo.Context, status int, body []byte) error {
	token, _ := c.Get(csrfContextKey).(string)
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
