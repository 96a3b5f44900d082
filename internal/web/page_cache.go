package web

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// localCache keeps values in this process for a moment: rendered pages in
// front of memcached (during an on-sale every app server serves the hot
// event page from memory, and memcached still shares renders between
// servers), and the queue page's event lookups.
type localCache[V any] struct {
	mu      sync.RWMutex
	ttl     time.Duration
	max     int
	entries map[string]localEntry[V]
}

type localEntry[V any] struct {
	value   V
	expires time.Time
}

func newLocalCache[V any](ttl time.Duration, max int) *localCache[V] {
	return &localCache[V]{ttl: ttl, max: max, entries: map[string]localEntry[V]{}}
}

func (l *localCache[V]) get(key string, now time.Time) (V, bool) {
	l.mu.RLock()
	e, ok := l.entries[key]
	l.mu.RUnlock()
	if !ok || now.After(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// pageStaleFor is how long past its expiry a page is still shown when it
// cannot be rendered afresh.
const pageStaleFor = 30 * time.Second

// stale returns the value of key even when it has expired, if it expired
// less than within ago: what to show while rendering afresh fails.
func (l *localCache[V]) stale(key string, now time.Time, within time.Duration) (V, bool) {
	l.mu.RLock()
	e, ok := l.entries[key]
	l.mu.RUnlock()
	if !ok || now.After(e.expires.Add(within)) {
		var zero V
		return zero, false
	}
	return e.value, true
}

func (l *localCache[V]) set(key string, value V, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.max {
		// Bounded memory: start over rather than track recency; the
		// entries live a second anyway.
		l.entries = map[string]localEntry[V]{}
	}
	l.entries[key] = localEntry[V]{value: value, expires: now.Add(l.ttl)}
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

// findEvent returns the public event from the cache or from load; a copy,
// so callers may change it.
func findEvent(c *localCache[admit.Event], key string, now time.Time, load func() (*admit.Event, error)) (*admit.Event, error) {
	if ev, ok := c.get(key, now); ok {
		return &ev, nil
	}
	ev, err := load()
	if err != nil {
		return nil, err
	}
	c.set(key, *ev, now)
	return ev, nil
}
