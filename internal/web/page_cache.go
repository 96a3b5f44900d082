package web

import (
	"sync"
	"time"
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
	body    []byte
	expires time.Time
}

func newLocalCache(ttl time.Duration, max int) *localCache {
	return &localCache{ttl: ttl, max: max, entries: map[string]localEntry{}}
}

func (l *localCache) get(key string, now time.Time) ([]byte, bool) {
	l.mu.RLock()
	e, ok := l.entries[key]
	l.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e.body, true
}

func (l *localCache) set(key string, body []byte, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.max {
		// Bounded memory: start over rather than track recency; the
		// entries live a second anyway.
		l.entries = map[string]localEntry{}
	}
	l.entries[key] = localEntry{body: body, expires: now.Add(l.ttl)}
}
