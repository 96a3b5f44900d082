package faults

import (
	"sort"
	"sync"
	"time"
)

// timeline records the phases and every buyer-facing request (after its
// retries), to tell availability per phase.
type timeline struct {
	mu       sync.Mutex
	windows  []*window
	requests []request
}

type window struct {
	name, description string
	start, end        time.Time
	notes             []string
	rollout           float64
}

type request struct {
	kind       string // hold, order, status
	start, end time.Time
	ok         bool
	tries      int
}

func newTimeline() *timeline { return &timeline{} }

// Begin ends the current phase and starts the next.
func (t *timeline) Begin(name, description string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if n := len(t.windows); n > 0 && t.windows[n-1].end.IsZero() {
		t.windows[n-1].end = now
	}
	t.windows = append(t.windows, &window{name: name, description: description, start: now})
}

// End ends the current phase.
func (t *timeline) End() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.windows); n > 0 && t.windows[n-1].end.IsZero() {
		t.windows[n-1].end = time.Now()
	}
}

// Note adds a remark to the phase called name.
func (t *timeline) Note(name, note string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.windows) - 1; i >= 0; i-- {
		if t.windows[i].name == name {
			t.windows[i].notes = append(t.windows[i].notes, note)
			return
		}
	}
}

// Rollout records the seconds a deploy phase's rollout took.
func (t *timeline) Rollout(name string, seconds float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.windows) - 1; i >= 0; i-- {
		if t.windows[i].name == name {
			t.windows[i].rollout = seconds
			return
		}
	}
}

// Record adds one request that started at start, with its outcome.
func (t *timeline) Record(kind string, start time.Time, a answer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests = append(t.requests, request{kind: kind, start: start, end: time.Now(), ok: a.ok(), tries: a.tries})
}

// PhaseAvailability is what buyers saw during one phase: from the fault's
// start to the end of the settle after its restore.
type PhaseAvailability struct {
	Phase       string  `json:"phase"`
	Description string  `json:"description,omitempty"`
	Seconds     float64 `json:"seconds"`
	Requests    int     `json:"requests"`
	Retried     int     `json:"retried"`
	Failed      int     `json:"failed"`
	SuccessPct  float64 `json:"success_percent"`
	LongestGap  float64 `json:"longest_gap_seconds"`
	// Rollout is a deploy phase's rollout time (build excluded).
	Rollout float64  `json:"rollout_seconds,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}

// Availability returns one row per phase. A request belongs to the phase in
// which it started; the longest gap is the longest time within the phase
// in which no request succeeded.
func (t *timeline) Availability() []PhaseAvailability {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []PhaseAvailability
	for _, w := range t.windows {
		end := w.end
		if end.IsZero() {
			end = time.Now()
		}
		p := PhaseAvailability{Phase: w.name, Description: w.description, Seconds: end.Sub(w.start).Seconds(), Notes: w.notes, Rollout: w.rollout}
		var successes []time.Time
		for _, r := range t.requests {
			if r.ok && r.end.After(w.start) && r.end.Before(end) {
				successes = append(successes, r.end)
			}
			if r.start.Before(w.start) || !r.start.Before(end) {
				continue
			}
			p.Requests++
			if r.tries > 1 {
				p.Retried++
			}
			if !r.ok {
				p.Failed++
			}
		}
		if p.Requests > 0 {
			p.SuccessPct = 100 * float64(p.Requests-p.Failed) / float64(p.Requests)
		}
		sort.Slice(successes, func(i, j int) bool { return successes[i].Before(successes[j]) })
		last := w.start
		var gap time.Duration
		for _, s := range successes {
			gap = max(gap, s.Sub(last))
			last = s
		}
		gap = max(gap, end.Sub(last))
		p.LongestGap = gap.Seconds()
		out = append(out, p)
	}
	return out
}
