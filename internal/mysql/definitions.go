package mysql

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/admithq/admit/internal/admit"
)

// What a buyer's request needs to know about the event (the event itself,
// its ticket types' definitions, its questions) changes a few times a day
// and is read on every hold and order. The checkout reads it from this
// per-process cache instead of from MySQL. A change made through this
// handle is seen at once (every method that writes these tables calls
// definitionsChanged); a change made by another server is seen within
// definitionsFor, as each entry is read again once it is that old. Counters
// (what is sold and held) are never taken from here: the ledger decides.

// definitionsFor is how long another server's change may take to be seen.
const definitionsFor = time.Second

// definitionsStaleFor is how long an entry is still served when it cannot
// be read again because MySQL does not answer (a writer's failover): the
// definitions change a few times a day, and what is sold is decided by the
// ledger, never by this cache. Without it, every buyer who came in the
// second after the entry went stale would get an error for the whole
// failover.
const definitionsStaleFor = 30 * time.Second

// definitionsMax bounds the cache; past it, it starts over (entries live a
// second anyway).
const definitionsMax = 10000

type definitions struct {
	generation atomic.Uint64 // bumped by every change through this handle
	mu         sync.Mutex
	entries    map[string]definitionEntry
	// loading makes the buyers who find an entry stale at the same moment
	// wait for one query instead of each sending it.
	loading singleflight.Group
}

type definitionEntry struct {
	generation uint64
	loaded     time.Time
	value      any
	err        error
}

// get returns the cached value of key, or loads it. A not-found answer is
// cached like a value (so a bot asking for events that do not exist costs
// one query a second); any other error is not. When MySQL does not answer,
// an entry up to definitionsStaleFor old is served as it is, unless this
// handle changed the definitions since.
func (c *definitions) get(key string, load func() (any, error)) (any, error) {
	now := time.Now()
	gen := c.generation.Load()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.generation == gen && now.Sub(e.loaded) < definitionsFor {
		return e.value, e.err
	}
	loaded, err, _ := c.loading.Do(key+"@"+strconv.FormatUint(gen, 10), func() (any, error) {
		v, err := load()
		if err != nil && admit.ErrorCode(err) != admit.ENOTFOUND {
			return nil, err
		}
		e := definitionEntry{generation: gen, loaded: now, value: v, err: err}
		c.mu.Lock()
		if c.entries == nil || len(c.entries) >= definitionsMax {
			c.entries = map[string]definitionEntry{}
		}
		c.entries[key] = e
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		if ok && e.generation == gen && now.Sub(e.loaded) < definitionsStaleFor && unreachable(err) {
			return e.value, e.err
		}
		return nil, err
	}
	e = loaded.(definitionEntry)
	return e.value, e.err
}

// definitionsChanged makes every cached definition of this handle stale.
func (d *DB) definitionsChanged() { d.defs.generation.Add(1) }

func eventKey(kind string, orgID, eventID int64) string {
	return kind + ":" + strconv.FormatInt(orgID, 10) + ":" + strconv.FormatInt(eventID, 10)
}

// CachedPublicEvent is FindPublicEvent from the per-process cache: a
// change is seen within a second. The event is a copy the caller may
// change.
func (d *DB) CachedPublicEvent(ctx context.Context, orgSlug, eventSlug string) (*admit.Event, error) {
	// One load serves every buyer waiting for it: it must not end with
	// the first one's request.
	v, err := d.defs.get("public:"+orgSlug+"/"+eventSlug, func() (any, error) {
		return d.FindPublicEvent(context.WithoutCancel(ctx), orgSlug, eventSlug)
	})
	if err != nil {
		return nil, err
	}
	ev := *v.(*admit.Event)
	return &ev, nil
}

// CachedTicketTypes returns the definitions of the event's ticket types,
// hidden ones included, in display order, from the per-process cache. Their
// Reserved and Sold may be a second old: they are for showing, never for
// deciding. The ticket types are copies the caller may change.
func (d *DB) CachedTicketTypes(ctx context.Context, orgID, eventID int64) ([]*admit.TicketType, error) {
	v, err := d.defs.get(eventKey("types", orgID, eventID), func() (any, error) {
		return d.ListTicketTypes(context.WithoutCancel(ctx), orgID, eventID, true)
	})
	if err != nil {
		return nil, err
	}
	types := v.([]*admit.TicketType)
	out := make([]*admit.TicketType, len(types))
	for i, t := range types {
		c := *t
		out[i] = &c
	}
	return out, nil
}

// CachedQuestions returns the event's questions from the per-process cache.
// They are shared: the caller must not change them.
func (d *DB) CachedQuestions(ctx context.Context, orgID, eventID int64) ([]*admit.Question, error) {
	v, err := d.defs.get(eventKey("questions", orgID, eventID), func() (any, error) {
		return d.ListQuestions(context.WithoutCancel(ctx), orgID, eventID)
	})
	if err != nil {
		return nil, err
	}
	return v.([]*admit.Question), nil
}
