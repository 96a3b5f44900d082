package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admithq/admit/internal/admit"
	"github.com/admithq/admit/internal/mysql"
)

// Profile says when buyers arrive.
type Profile struct {
	Kind string        // burst, ramp or steady
	Ramp time.Duration // ramp: buyers spread evenly over this
	Rate float64       // steady: buyers per second
}

// arrival returns when buyer i of n starts, after the run's start.
func (p Profile) arrival(i, n int) time.Duration {
	switch p.Kind {
	case "ramp":
		return time.Duration(float64(p.Ramp) * float64(i) / float64(n))
	case "steady":
		if p.Rate > 0 {
			return time.Duration(float64(time.Second) * float64(i) / p.Rate)
		}
	}
	return 0
}

// Outcomes counts how buyers' attempts ended.
type Outcomes struct {
	Ordered     int `json:"ordered"`
	SoldOut     int `json:"sold_out"`
	RateLimited int `json:"rate_limited"`
	Errors      int `json:"errors"`
	Status5xx   int `json:"status_5xx"`
	// Retried counts the HTTP requests that needed more than one try (on
	// the other address, or again after a 5xx); only the last answer
	// counts toward the outcomes above.
	Retried int64 `json:"retried,omitempty"`
}

// Result is one strategy's run.
type Result struct {
	Strategy     string             `json:"strategy"`
	Buyers       int                `json:"buyers"`
	Seconds      float64            `json:"seconds"`
	OrdersPerSec float64            `json:"orders_per_second"`
	HoldsPerSec  float64            `json:"holds_per_second"`
	Outcomes     Outcomes           `json:"outcomes"`
	Steps        map[string]Summary `json:"steps"`
	Series       map[string][]Point `json:"series"`
	Room         *RoomResult        `json:"waiting_room,omitempty"`
	FirstError   string             `json:"first_error,omitempty"`
	// LongestGap is the longest time, in seconds, between two orders
	// completing (over HTTP: what a fault costs the buyers).
	LongestGap float64                `json:"longest_gap_seconds,omitempty"`
	Fault      *Fault                 `json:"fault,omitempty"`
	Galera     *mysql.GaleraConflicts `json:"galera,omitempty"`
	// Cost is what the run cost MySQL and each process, per order, and
	// how long its confirmation emails took.
	Cost *Cost `json:"cost,omitempty"`
	// References of the orders buyers were told succeeded, for the checks.
	References []string `json:"-"`
}

// HTTPOptions configures the buyers played against a running admit.
type HTTPOptions struct {
	// BaseURLs are the addresses buyers know (one admit, or both
	// HAProxies); each buyer starts on the next one and fails over to the
	// others (see failover).
	BaseURLs []string
	// RetryWithin is how long a request keeps being retried after a
	// connection error, a 5xx or a 429 (0: 20 s).
	RetryWithin  time.Duration
	Org, Event   string
	TicketTypeID int64
	Buyers       int
	Concurrency  int
	Profile      Profile
	Paid         bool
	// Room is the admission rate per minute of the event's waiting room,
	// which the caller turned on (OpenRoom); 0: no room. With it every
	// buyer is a browser in the queue (see roomRun.buy), and Concurrency
	// bounds only the buyers holding and ordering, not those waiting.
	Room int
	// Poll is how often a queueing buyer asks again; 0: as the queue
	// page's Refresh header says, as a browser does (every second if it
	// says nothing).
	Poll time.Duration

	retried *atomic.Int64
}

// via is the failover client of one buyer's requests over client.
func (o HTTPOptions) via(client *http.Client) failover {
	within := o.RetryWithin
	if within <= 0 {
		within = 20 * time.Second
	}
	return failover{urls: o.BaseURLs, client: client, within: within, retried: o.retried}
}

// RunHTTP plays buyers against admit's pages and checkout API: each views
// the event page, holds a ticket, and orders it (free, or offline-paid).
//
// Idle connections are kept for less time than HAProxy keeps them (timeout
// http-keep-alive, 10 s in ops/haproxy), so a buyer's request does not go
// out on a connection that HAProxy is closing with a 408.
func RunHTTP(ctx context.Context, o HTTPOptions) *Result {
	transport := &http.Transport{MaxIdleConns: o.Concurrency * 2, MaxIdleConnsPerHost: o.Concurrency * 2,
		MaxConnsPerHost: o.Concurrency * 2, IdleConnTimeout: 5 * time.Second, DisableCompression: true}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	o.retried = new(atomic.Int64)
	start := time.Now()
	page, hold, order := NewLatency(start), NewLatency(start), NewLatency(start)
	res := &Result{Strategy: "admit (HTTP)", Buyers: o.Buyers}
	var room *roomRun
	if o.Room > 0 {
		res.Strategy = "admit (HTTP, room)"
		room = newRoomRun(start, o.Room)
	}
	var mu sync.Mutex
	var done []time.Time // when each order completed
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i := range o.Buyers {
		if wait := time.Until(start.Add(o.Profile.arrival(i, o.Buyers))); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		if room == nil {
			sem <- struct{}{}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ref, outcome string
			var err error
			if room != nil {
				ref, outcome, err = room.buy(ctx, transport, o, i, sem, page, hold, order)
			} else {
				ref, outcome, err = buyHTTP(ctx, client, o, i, page, hold, order)
				<-sem
			}
			mu.Lock()
			defer mu.Unlock()
			res.count(outcome, ref, err)
			if outcome == "ordered" {
				done = append(done, time.Now())
			}
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Steps = map[string]Summary{"page": page.Summary(), "hold": hold.Summary(), "order": order.Summary()}
	res.Series = map[string][]Point{"hold": hold.Series(), "order": order.Series()}
	if room != nil {
		res.Room = room.result()
		res.Steps["queue"], res.Steps["queue_page"] = room.queue.Summary(), room.poll.Summary()
		res.Series["queue"] = room.queue.Series()
	}
	res.Outcomes.Retried = o.retried.Load()
	res.LongestGap = longestGap(done)
	res.OrdersPerSec = float64(res.Outcomes.Ordered) / res.Seconds
	res.HoldsPerSec = float64(hold.Summary().Count) / res.Seconds
	return res
}

// longestGap is the longest time between two consecutive instants of ts.
func longestGap(ts []time.Time) float64 {
	slices.SortFunc(ts, time.Time.Compare)
	var gap time.Duration
	for i := 1; i < len(ts); i++ {
		gap = max(gap, ts[i].Sub(ts[i-1]))
	}
	return gap.Seconds()
}

// count adds one buyer's outcome (ordered, sold_out, rate_limited, 5xx or
// an error) to the result; the first error is kept to show.
func (res *Result) count(outcome, ref string, err error) {
	switch outcome {
	case "ordered":
		res.Outcomes.Ordered++
		res.References = append(res.References, ref)
	case "sold_out":
		res.Outcomes.SoldOut++
	case "rate_limited":
		res.Outcomes.RateLimited++
	case "5xx":
		res.Outcomes.Status5xx++
		res.Outcomes.Errors++
	default:
		res.Outcomes.Errors++
	}
	if err != nil && res.FirstError == "" {
		res.FirstError = err.Error()
	}
}

func buyHTTP(ctx context.Context, client *http.Client, o HTTPOptions, i int, page, hold, order *Latency) (string, string, error) {
	t0 := time.Now()
	st, _, err := o.via(client).do(ctx, i, "GET", "/e/"+o.Org+"/"+o.Event, nil, nil, false)
	if err != nil || st != 200 {
		return "", classify(st), fmt.Errorf("event page: %d %v", st, err)
	}
	t1 := time.Now()
	page.Record(t1.Sub(t0), t1)
	return holdAndOrder(ctx, client, o, i, hold, order)
}

// holdAndOrder holds a ticket through the checkout API and orders it,
// recording both steps.
func holdAndOrder(ctx context.Context, client *http.Client, o HTTPOptions, i int, hold, order *Latency) (string, string, error) {
	fc := o.via(client)
	t1 := time.Now()
	body := fmt.Sprintf(`{"items":[{"ticket_type_id":%d,"quantity":1}]}`, o.TicketTypeID)
	st, b, err := fc.do(ctx, i, "POST", "/api/checkout/v1/events/"+o.Org+"/"+o.Event+"/holds", []byte(body), nil, false)
	t2 := time.Now()
	switch {
	case err != nil:
		return "", "error", err
	case st == http.StatusConflict:
		return "", "sold_out", nil
	case st != http.StatusCreated:
		return "", classify(st), fmt.Errorf("hold: %d %s", st, trim(b))
	}
	hold.Record(t2.Sub(t1), t2)
	var h struct{ ID, Secret string }
	json.Unmarshal(b, &h)
	method := admit.PaymentFree
	if o.Paid {
		method = admit.PaymentOffline
	}
	orderBody := fmt.Sprintf(`{"buyer":{"name":"Buyer %d","email":"buyer%d@bench.example"},"attendees":[{"name":"Attendee %d"}],"payment_method":%q}`, i, i, i, method)
	key := map[string]string{"Idempotency-Key": "bench-" + admit.NewToken(8)}
	if h.Secret != "" {
		// The hold answers only to its maker: a server that returns a
		// secret wants it back (the checkout API's Admit-Hold-Secret).
		key["Admit-Hold-Secret"] = h.Secret
	}
	st, b, err = fc.do(ctx, i, "POST", "/api/checkout/v1/holds/"+h.ID+"/order", []byte(orderBody), key, true)
	t3 := time.Now()
	if err != nil {
		return "", "error", fmt.Errorf("order: %v", err)
	}
	if st != http.StatusCreated && st != http.StatusOK {
		return "", classify(st), fmt.Errorf("order: %d %s", st, trim(b))
	}
	order.Record(t3.Sub(t2), t3)
	var out struct{ Reference string }
	json.Unmarshal(b, &out)
	return out.Reference, "ordered", nil
}

func classify(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status >= 500:
		return "5xx"
	}
	return "error"
}

func trim(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return strconv.Quote(string(b))
}
