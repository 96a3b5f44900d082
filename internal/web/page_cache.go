package web

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// localCache keeps rendered pages in this process for a second in front of
// memcached: during an on-sale every app server serves the hot event page
// from memory, and memcached still shares renders between servers.
type localCache struct {
	mu      sync.RWMutex
	ttl     time.Duration
	max     int
	entries map[string]localEntry
}

type localEntry struct {
	page    cachedPage
	expires time.Time
}

// cachedPage is a rendered page shared by every visitor, with the hash of
// its bytes: computed once when the page enters this process, so that a
// response's ETag costs only a hash of the visitor's token.
type cachedPage struct {
	body []byte
	sum  [sha256.Size]byte
}

func newCachedPage(body []byte) cachedPage {
	return cachedPage{body: body, sum: sha256.Sum256(body)}
}

func newLocalCache(ttl time.Duration, max int) *localCache {
	return &localCache{ttl: ttl, max: max, entries: map[string]localEntry{}}
}

func (l *localCache) get(key string, now time.Time) (cachedPage, bool) {
	l.mu.RLock()
	e, ok := l.entries[key]
	l.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return cachedPage{}, false
	}
	return e.page, true
}

func (l *localCache) set(key string, body []byte, now time.Time) cachedPage {
	page := newCachedPage(body)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.max {
		// Bounded memory: start over rather than track recency; the
		// entries live a second anyway.
		l.entries = map[string]localEntry{}
	}
	l.entries[key] = localEntry{page: page, expires: now.Add(l.ttl)}
	return page
}

// eventCache keeps public events looked up by slug for a moment, like
// localCache does rendered pages.
type eventCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]eventEntry
}

type eventEntry struct {
	ev      admit.Event
	expires time.Time
}

// find returns the event from the cache or from load; a copy, so callers
// may change it.
func (e *eventCache) find(key string, now time.Time, load func() (*admit.Event, error)) (*admit.Event, error) {
	e.mu.Lock()
	if en, ok := e.entries[key]; ok && now.Before(en.expires) {
		e.mu.Unlock()
		ev := en.ev
		return &ev, nil
	}
	e.mu.Unlock()
	ev, err := load()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.entries) >= 1000 {
		e.entries = map[string]eventEntry{}
	}
	e.entries[key] = eventEntry{ev: *ev, expires: now.Add(e.ttl)}
	e.mu.Unlock()
	return ev, nil
}
