// Package flags answers "is this feature on for this organization?" from
// the flags stored in MySQL, re-read at most every few seconds per process:
// a page view asks without a query, and a change made with admit flags set
// reaches every server within the cache's lifetime.
package flags

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// Store lists the flags (mysql.DB).
type Store interface {
	ListFlags(ctx context.Context) ([]admit.Flag, error)
}

// DefaultTTL is how long a process trusts what it read.
const DefaultTTL = 5 * time.Second

// Set is a process's view of the flags.
type Set struct {
	store  Store
	ttl    time.Duration
	logger *slog.Logger

	mu      sync.Mutex
	flags   map[string]admit.Flag
	readAt  time.Time
	reading bool
}

// New returns a Set that re-reads the flags after ttl (DefaultTTL if 0).
func New(store Store, ttl time.Duration, logger *slog.Logger) *Set {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Set{store: store, ttl: ttl, logger: logger}
}

// On says whether the flag is on for the organization. If the flags cannot
// be read, the last ones read stay in force (every flag off before the
// first read): a database hiccup must not flip features on and off.
func (s *Set) On(ctx context.Context, name string, orgID int64, orgSlug string) bool {
	f, ok := s.current(ctx)[name]
	return ok && f.On(orgID, orgSlug)
}

func (s *Set) current(ctx context.Context) map[string]admit.Flag {
	s.mu.Lock()
	if time.Since(s.readAt) < s.ttl || s.reading {
		flags := s.flags
		s.mu.Unlock()
		return flags
	}
	// One request re-reads; the others go on with what is cached.
	s.reading = true
	s.mu.Unlock()
	list, err := s.store.ListFlags(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reading = false
	s.readAt = time.Now()
	if err != nil {
		if s.logger != nil {
			s.logger.Warn("reading the feature flags", "err", err)
		}
		return s.flags
	}
	flags := make(map[string]admit.Flag, len(list))
	for _, f := range list {
		flags[f.Name] = f
	}
	s.flags = flags
	return flags
}

// States returns each known flag's state for the organization, for labels.
func (s *Set) States(ctx context.Context, orgID int64, orgSlug string) map[string]bool {
	out := make(map[string]bool, len(admit.KnownFlags))
	for _, name := range admit.KnownFlags {
		out[name] = s.On(ctx, name, orgID, orgSlug)
	}
	return out
}
