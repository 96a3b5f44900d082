package redis

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/admithq/admit/internal/admit"
	goredis "github.com/redis/go-redis/v9"
)

// AutoRoom engages an event's waiting room on its own when more visitors
// arrive in one second than the system admits. Arrivals are counted per
// event and second in Redis, shared by every app server; the engagement is
// a Redis hash with a TTL. Each server keeps what it last learned for each
// event, so checking costs no Redis call on most requests.
type AutoRoom struct {
	client     goredis.UniversalClient
	prefix     string
	perSecond  int
	engagedFor time.Duration
	batch      int

	mu     sync.Mutex
	events map[int64]*autoState
}

type autoState struct {
	pending   int       // arrivals not yet added to Redis
	flushedAt time.Time // last time arrivals were sent to Redis
	checkedAt time.Time // last time the engagement was read from Redis
	known     admit.Engagement
}

// flushEvery bounds how long arrivals wait in this process before they are
// added to the shared count, and so how stale the known state may be while
// visitors arrive.
const flushEvery = 100 * time.Millisecond

// NewAutoRoom returns the automatic waiting room: it engages when more than
// perSecond visitors arrive at an event in one second, lets them through at
// perSecond from then on, and disengages engagedFor after the last such
// second.
func NewAutoRoom(client goredis.UniversalClient, prefix string, perSecond int, engagedFor time.Duration) *AutoRoom {
	return &AutoRoom{client: client, prefix: prefix, perSecond: perSecond, engagedFor: engagedFor,
		// A tenth of the threshold per Redis call: at the threshold each
		// server sends about ten counts a second per event, and a burst
		// is seen before it has gone far past the threshold.
		batch:  max(perSecond/10, 1),
		events: map[int64]*autoState{}}
}

// autoScript adds arrivals to the count of the current second and engages
// the room (or keeps it engaged) when the count passes the threshold. On a
// new engagement the queue's meter restarts at the engagement time, and
// everyone still in the line from an earlier room counts as let through, so
// newcomers do not wait behind visitors who left long ago.
// KEYS: arrivals this second, engagement, queue, meter.
// ARGV: arrivals, now (ms), threshold, engaged for (ms), rate per minute.
// Returns {since, until} in ms, zeros when the room is not engaged.
var autoScript = goredis.NewScript(`
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2000)
local now = tonumber(ARGV[2])
local since = redis.call('HGET', KEYS[2], 'since')
local untl = redis.call('HGET', KEYS[2], 'until')
if untl and tonumber(untl) <= now then since, untl = false, false end
if count > tonumber(ARGV[3]) then
  if not since then
    since = ARGV[2]
    redis.call('HSET', KEYS[4], 'base', tostring(redis.call('ZCARD', KEYS[3])), 'at', since, 'rate', ARGV[5])
    redis.call('PEXPIRE', KEYS[4], 172800000)
  end
  untl = string.format('%.0f', now + tonumber(ARGV[4]))
  redis.call('HSET', KEYS[2], 'since', since, 'until', untl, 'rate', ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return {tonumber(since or '0'), tonumber(untl or '0')}
`)

// Arrive counts a visitor arriving at the event's tickets and returns the
// room's state. Arrivals are added to Redis in batches (at most flushEvery
// apart, or a tenth of the threshold at once), so most arrivals cost no
// Redis call.
//
// If Redis cannot be reached, the last state this process knew stands until
// its own end: a room engaged because the system was overloaded stays
// engaged for its TTL (the overload is likely still there, and opening the
// gates the moment Redis falters would let the whole crowd in at once),
// and a room that was not engaged stays open (without Redis nobody could
// be let through a queue, and an on-sale must not stop because a counter
// cannot be read). A room the organizer configured does not depend on this:
// it stays closed to visitors without a pass.
func (a *AutoRoom) Arrive(ctx context.Context, eventID int64, now time.Time) admit.Engagement {
	a.mu.Lock()
	s := a.state(eventID)
	s.pending++
	if s.pending < a.batch && now.Sub(s.flushedAt) < flushEvery {
		e := s.known
		a.mu.Unlock()
		return e
	}
	n := s.pending
	s.pending, s.flushedAt = 0, now
	a.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	k := a.prefix + "wr:" + strconv.FormatInt(eventID, 10)
	res, err := autoScript.Run(ctx, a.client,
		[]string{k + ":arrivals:" + strconv.FormatInt(now.Unix(), 10), k + ":auto", k + ":queue", k + ":meter"},
		n, now.UnixMilli(), a.perSecond, a.engagedFor.Milliseconds(), a.perSecond*60).Int64Slice()
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil || len(res) != 2 {
		return s.known
	}
	s.known, s.checkedAt = a.engagement(res[0], res[1]), now
	return s.known
}

// Engaged returns the room's state without counting an arrival, as this
// process knew it within the last second; like Arrive, it keeps the last
// known state when Redis cannot be read.
func (a *AutoRoom) Engaged(ctx context.Context, eventID int64, now time.Time) admit.Engagement {
	a.mu.Lock()
	s := a.state(eventID)
	if now.Sub(s.checkedAt) < time.Second {
		e := s.known
		a.mu.Unlock()
		return e
	}
	s.checkedAt = now // one reader per second asks Redis; the others use what is known
	a.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	e, err := readEngagement(ctx, a.client, a.prefix, eventID)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		return s.known
	}
	s.known = e
	return e
}

func (a *AutoRoom) engagement(since, until int64) admit.Engagement {
	if until == 0 {
		return admit.Engagement{}
	}
	return admit.Engagement{Since: time.UnixMilli(since), Until: time.UnixMilli(until), RatePerMinute: a.perSecond * 60}
}

// state returns the event's entry; a.mu is held.
func (a *AutoRoom) state(eventID int64) *autoState {
	s, ok := a.events[eventID]
	if !ok {
		if len(a.events) >= 10000 {
			// Bounded memory: only published events get here, and what
			// is forgotten is re-read from Redis.
			a.events = map[int64]*autoState{}
		}
		s = &autoState{}
		a.events[eventID] = s
	}
	return s
}

// Engagement reads whether the event's room is engaged automatically, for
// the console: straight from Redis, uncached.
func (w *WaitingRoom) Engagement(ctx context.Context, eventID int64) (admit.Engagement, error) {
	return readEngagement(ctx, w.client, w.prefix, eventID)
}

func readEngagement(ctx context.Context, client goredis.UniversalClient, prefix string, eventID int64) (admit.Engagement, error) {
	v, err := client.HMGet(ctx, prefix+"wr:"+strconv.FormatInt(eventID, 10)+":auto", "since", "until", "rate").Result()
	if err != nil {
		return admit.Engagement{}, err
	}
	var n [3]int64
	for i, x := range v {
		s, ok := x.(string)
		if !ok {
			return admit.Engagement{}, nil // not engaged: the hash has expired
		}
		if n[i], err = strconv.ParseInt(s, 10, 64); err != nil {
			return admit.Engagement{}, err
		}
	}
	return admit.Engagement{Since: time.UnixMilli(n[0]), Until: time.UnixMilli(n[1]), RatePerMinute: int(n[2])}, nil
}
