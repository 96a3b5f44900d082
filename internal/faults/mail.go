package faults

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// mailCollector reads the SES emulator's store as it fills. The emulator
// keeps mail in memory, so a run that kills it would lose what it held:
// the collector reads often (and just before a kill) and keeps every
// message of this run by its SES message id.
type mailCollector struct {
	url, tag string

	mu    sync.Mutex
	since int64                // the emulator's clock (seconds) of the newest message read
	seen  map[string]sentEmail // by message id
	lost  [][2]time.Time       // windows in which sent mail may have been lost with the emulator
}

type sentEmail struct {
	MessageID   string `json:"messageId"`
	Subject     string `json:"subject"`
	At          int64  `json:"at"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
}

func newMailCollector(url, tag string) *mailCollector {
	return &mailCollector{url: strings.TrimRight(url, "/"), tag: tag, seen: map[string]sentEmail{}}
}

// Run polls every interval until ctx ends.
func (m *mailCollector) Run(ctx context.Context, interval time.Duration) {
	for {
		m.Poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// Poll reads what the store got since the last read. A failed read (SES
// down) is left for the next.
func (m *mailCollector) Poll(ctx context.Context) {
	if m.url == "" {
		return
	}
	m.mu.Lock()
	since := m.since - 2
	m.mu.Unlock()
	u := m.url + "/store"
	if since > 0 {
		u += "?since=" + strconv.FormatInt(since, 10)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var store struct {
		Emails []sentEmail `json:"emails"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&store) != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	newest := int64(0)
	for _, e := range store.Emails {
		newest = max(newest, e.At)
		if len(e.Destination.To) == 0 || !strings.Contains(e.Destination.To[0], m.tag) {
			continue
		}
		m.seen[e.MessageID] = e
	}
	// After the emulator restarts its store is empty: keep the clock.
	m.since = max(m.since, newest)
}

// Lost notes a window in which mail sent may have vanished with the
// emulator before it could be read.
func (m *mailCollector) Lost(from, to time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lost = append(m.lost, [2]time.Time{from, to})
}

// inLostWindow says whether t falls in a window noted by Lost.
func (m *mailCollector) inLostWindow(t time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.lost {
		if !t.Before(w[0]) && !t.After(w[1]) {
			return true
		}
	}
	return false
}

var confirmationSubject = regexp.MustCompile(`^Your tickets for .* \(order ([A-Z0-9-]+)\)$`)

// Confirmations counts the confirmation emails read per order reference.
func (m *mailCollector) Confirmations() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, e := range m.seen {
		if g := confirmationSubject.FindStringSubmatch(e.Subject); g != nil {
			out[g[1]]++
		}
	}
	return out
}
