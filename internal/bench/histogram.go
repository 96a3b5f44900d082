// Package bench is the on-sale benchmark behind `admit bench onsale`: a
// load generator that plays buyers against a running admit (or the
// HAProxy pair), the baselines peers use run against the same MySQL, and
// the machine's own ceilings, so every figure can be read as a ratio.
package bench

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency records durations in an HDR histogram (1 µs to 60 s, 3
// significant digits), safe for concurrent use, plus per-second counts for
// the time series.
type Latency struct {
	mu      sync.Mutex
	h       *hdrhistogram.Histogram
	highest int64 // µs; longer observations are recorded as this
	start   time.Time
	seconds map[int]*second
}

type second struct {
	n int
	h *hdrhistogram.Histogram
}

// NewLatency returns an empty recorder whose time series starts at start.
func NewLatency(start time.Time) *Latency {
	return newLatencyUpTo(start, time.Minute)
}

// newLatencyUpTo is NewLatency for observations up to highest (such as a
// waiting room's queue, which may take many minutes).
func newLatencyUpTo(start time.Time, highest time.Duration) *Latency {
	return &Latency{h: hdrhistogram.New(1, highest.Microseconds(), 3), highest: highest.Microseconds(), start: start, seconds: map[int]*second{}}
}

// Record adds one observation that ended at end.
func (l *Latency) Record(d time.Duration, end time.Time) {
	us := d.Microseconds()
	us = min(max(us, 1), l.highest)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.RecordValue(us)
	s := int(end.Sub(l.start) / time.Second)
	sec := l.seconds[s]
	if sec == nil {
		sec = &second{h: hdrhistogram.New(1, l.highest, 3)}
		l.seconds[s] = sec
	}
	sec.n++
	sec.h.RecordValue(us)
}

// Summary is a histogram's figures in milliseconds.
type Summary struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summary returns the recorded figures.
func (l *Latency) Summary() Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return summarize(l.h)
}

func summarize(h *hdrhistogram.Histogram) Summary {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Summary{Count: h.TotalCount(), P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), Max: ms(h.Max())}
}

// Point is one second of the time series.
type Point struct {
	Second int     `json:"second"`
	Count  int     `json:"count"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
}

// Series returns the per-second counts and percentiles, in order.
func (l *Latency) Series() []Point {
	l.mu.Lock()
	defer l.mu.Unlock()
	last := -1
	for s := range l.seconds {
		last = max(last, s)
	}
	out := make([]Point, 0, last+1)
	for s := 0; s <= last; s++ {
		p := Point{Second: s}
		if sec := l.seconds[s]; sec != nil {
			sum := summarize(sec.h)
			p.Count, p.P50, p.P99 = sec.n, sum.P50, sum.P99
		}
		out = append(out, p)
	}
	return out
}
