package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/mysql"
)

// OpenRoom turns the fixture event's waiting room on, open from now and
// letting ratePerMinute visitors through, with the storage call the
// organizer's dashboard makes. It first removes any queue an older
// database left in Redis under the same event id (keys as
// internal/redis.WaitingRoom names them), which would otherwise put
// strangers ahead of the bench's buyers. It returns the opening time.
func OpenRoom(ctx context.Context, db *mysql.DB, rdb goredis.UniversalClient, prefix string, f *Fixture, ratePerMinute int) (time.Time, error) {
	k := prefix + "wr:" + strconv.FormatInt(f.Event.ID, 10)
	if err := rdb.Del(ctx, k+":queue", k+":meter").Err(); err != nil {
		return time.Time{}, fmt.Errorf("clearing the waiting room: %w", err)
	}
	opens := time.Now()
	if err := db.SetWaitingRoom(ctx, f.Org.ID, f.Event.ID, true, opens, ratePerMinute); err != nil {
		return time.Time{}, err
	}
	f.Event.WaitingRoom, f.Event.WaitingRoomOpensAt, f.Event.WaitingRoomRate = true, opens, ratePerMinute
	return opens, nil
}

// RoomResult is what the waiting room did in an HTTP run.
type RoomResult struct {
	RatePerMinute int `json:"rate_per_minute"`
	Arrived       int `json:"arrived"`
	// ArrivalsPerSecond is the arrivals' rate between the first and the
	// last (0 when they all came at once).
	ArrivalsPerSecond float64 `json:"arrivals_per_second"`
	Admitted          int     `json:"admitted"`
	// AdmittedPerMinute is the rate buyers were let through between the
	// 10th and the 90th percentile of their admissions (the steady part:
	// no ramp-up, no tail); OverallPerMinute counts all of them from the
	// room's opening (the run's start) to the last.
	AdmittedPerMinute float64 `json:"admitted_per_minute"`
	OverallPerMinute  float64 `json:"overall_admitted_per_minute"`
	// PeakPerSecond is the most buyers admitted within one second of the
	// run: how smoothly the room passes buyers on to the hold.
	PeakPerSecond int `json:"peak_admitted_per_second"`
	// Overload is the arrival rate over the configured admission rate.
	Overload float64 `json:"overload"`
	// Polls counts queue page requests; Unavailable those answered 503
	// (the queue could not be read: nobody is let through, the page asks
	// the visitor to wait).
	Polls       int `json:"polls"`
	Unavailable int `json:"unavailable"`
}

// roomRun records the queue side of an HTTP run with the waiting room on.
type roomRun struct {
	start       time.Time
	rate        int
	queue, poll *Latency // arrival to admission; each queue page request
	mu          sync.Mutex
	arrivals    []time.Time
	admissions  []time.Time
	polls       int
	unavailable int
}

func newRoomRun(start time.Time, ratePerMinute int) *roomRun {
	return &roomRun{start: start, rate: ratePerMinute, queue: newLatencyUpTo(start, 6*time.Hour), poll: NewLatency(start)}
}

// buy plays one buyer as a browser: its own cookies; the event page,
// which sends it to the queue; the queue page, asked again as its Refresh
// header says, until it gives the pass (a cookie bound to the buyer
// cookie) and sends the buyer back to the event page; then hold and order
// through the checkout API with the same cookies, as the event page's
// script would. sem bounds the buyers holding and ordering at once.
func (r *roomRun) buy(ctx context.Context, transport http.RoundTripper, o HTTPOptions, i int, sem chan struct{}, page, hold, order *Latency) (string, string, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
		// Redirects are followed below, one by one, to see which
		// response let the buyer through.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	eventPath := "/e/" + o.Org + "/" + o.Event
	queuePath := eventPath + "/queue"
	arrived := time.Now()
	r.mu.Lock()
	r.arrivals = append(r.arrivals, arrived)
	r.mu.Unlock()
	st, h, err := get(ctx, client, o.BaseURLs[0]+eventPath)
	switch {
	case err != nil:
		return "", "error", fmt.Errorf("event page: %v", err)
	case st == http.StatusSeeOther && h.Get("Location") == queuePath:
		for {
			t := time.Now()
			st, h, err = get(ctx, client, o.BaseURLs[0]+queuePath)
			done := time.Now()
			if err != nil {
				return "", "error", fmt.Errorf("queue page: %v", err)
			}
			r.poll.Record(done.Sub(t), done)
			r.mu.Lock()
			r.polls++
			if st == http.StatusServiceUnavailable {
				r.unavailable++
			}
			r.mu.Unlock()
			// The room sends a visitor through to the event page, with a
			// notice of how long their turn lasts (?through=1).
			if loc, _, _ := strings.Cut(h.Get("Location"), "?"); st == http.StatusSeeOther && loc == eventPath {
				r.admit(arrived, done)
				break
			}
			if st != http.StatusOK && st != http.StatusServiceUnavailable {
				return "", classify(st), fmt.Errorf("queue page: %d", st)
			}
			wait := o.Poll
			if wait <= 0 {
				wait = refresh(h, time.Second)
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return "", "error", ctx.Err()
			}
		}
		t0 := time.Now()
		if st, _, err = get(ctx, client, o.BaseURLs[0]+eventPath); err != nil || st != http.StatusOK {
			return "", classify(st), fmt.Errorf("event page with a pass: %d %v", st, err)
		}
		t1 := time.Now()
		page.Record(t1.Sub(t0), t1)
	case st == http.StatusOK:
		// Let in without queueing: only if the room is not on.
		done := time.Now()
		page.Record(done.Sub(arrived), done)
		r.admit(arrived, done)
	default:
		return "", classify(st), fmt.Errorf("event page: %d %s", st, h.Get("Location"))
	}
	sem <- struct{}{}
	defer func() { <-sem }()
	return holdAndOrder(ctx, client, o, i, hold, order)
}

func (r *roomRun) admit(arrived, at time.Time) {
	r.queue.Record(at.Sub(arrived), at)
	r.mu.Lock()
	r.admissions = append(r.admissions, at)
	r.mu.Unlock()
}

func (r *roomRun) result() *RoomResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &RoomResult{RatePerMinute: r.rate, Arrived: len(r.arrivals), Admitted: len(r.admissions), Polls: r.polls, Unavailable: r.unavailable}
	arr := slices.Clone(r.arrivals)
	slices.SortFunc(arr, func(a, b time.Time) int { return a.Compare(b) })
	if n := len(arr); n > 1 {
		if span := arr[n-1].Sub(arr[0]).Seconds(); span > 0.001 {
			out.ArrivalsPerSecond = float64(n-1) / span
		}
	}
	out.Overload = out.ArrivalsPerSecond / (float64(r.rate) / 60)
	for _, p := range r.queue.Series() {
		out.PeakPerSecond = max(out.PeakPerSecond, p.Count)
	}
	adm := slices.Clone(r.admissions)
	slices.SortFunc(adm, func(a, b time.Time) int { return a.Compare(b) })
	if n := len(adm); n > 0 {
		if span := adm[n-1].Sub(r.start).Seconds(); span > 0 {
			out.OverallPerMinute = 60 * float64(n) / span
		}
		lo, hi := n/10, n*9/10
		if hi >= n {
			hi = n - 1
		}
		if span := adm[hi].Sub(adm[lo]).Seconds(); hi > lo && span > 0 {
			out.AdmittedPerMinute = 60 * float64(hi-lo) / span
		}
	}
	return out
}

// refresh is the delay a page's Refresh header asks for ("10" or
// "10; url=..."), or def.
func refresh(h http.Header, def time.Duration) time.Duration {
	v, _, _ := strings.Cut(h.Get("Refresh"), ";")
	if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

// get fetches url as a browser would, reading the whole body, and returns
// the status and the headers without following a redirect.
func get(ctx context.Context, client *http.Client, url string) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header, err
}
