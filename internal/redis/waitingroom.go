package redis

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/admithq/admit/internal/admit"
	goredis "github.com/redis/go-redis/v9"
)

// WaitingRoom is the on-sale queue of an event, in Redis so that any app
// server serves it and it survives the restart of any of them. A visitor's
// place is their rank in a sorted set; how many are let through is a meter
// that grows at the admission rate from the moment the room opens, so
// admission needs no background process: a visitor is through when their
// rank is below the meter.
type WaitingRoom struct {
	client goredis.UniversalClient
	prefix string
	status *goredis.Script
}

// NewWaitingRoom returns the queue store with keys under prefix.
func NewWaitingRoom(client goredis.UniversalClient, prefix string) *WaitingRoom {
	return &WaitingRoom{client: client, prefix: prefix, status: waitingRoomScript}
}

// waitingRoomScript joins the visitor (keeping an existing place) and
// returns {rank, admitted so far, queue length}. KEYS: queue, meter.
// ARGV: visitor, score for a newcomer, now (ms), opens (ms), rate/min.
// The meter hash holds base (admitted at time at) and the rate in force;
// a rate change (ARGV[5] differs) rebases it so the change applies from now.
var waitingRoomScript = goredis.NewScript(`
local rank = -1
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
  rank = redis.call('ZRANK', KEYS[1], ARGV[1])
end
local size = redis.call('ZCARD', KEYS[1])
local now, opens, rate = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local base = tonumber(redis.call('HGET', KEYS[2], 'base') or '0')
local at = tonumber(redis.call('HGET', KEYS[2], 'at') or tostring(opens))
local old = tonumber(redis.call('HGET', KEYS[2], 'rate') or tostring(rate))
local function meter(t, r)
  if t <= at then return base end
  return base + (t - at) * r / 60000
end
if old ~= rate then
  base = meter(now, old)
  at = math.max(now, opens)
  redis.call('HSET', KEYS[2], 'base', tostring(base), 'at', tostring(at), 'rate', tostring(rate))
elseif redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'base', '0', 'at', tostring(opens), 'rate', tostring(rate))
end
redis.call('PEXPIRE', KEYS[1], 172800000)
redis.call('PEXPIRE', KEYS[2], 172800000)
local admitted = math.floor(meter(now, rate))
return {rank, admitted, size}
`)

// Visit joins the visitor to the event's queue (keeping their place if they
// are in it) and returns their place. A visitor's score is their arrival in
// milliseconds to the microsecond, so two who arrive in the same
// millisecond keep their order (a double holds a millisecond timestamp to
// a quarter of a microsecond). Visitors who arrive before the room opens
// are all placed at random in the millisecond before the opening, so they
// are shuffled among themselves (ties fall to their random ids) and ahead
// of everyone who comes later.
func (w *WaitingRoom) Visit(ctx context.Context, eventID int64, visitor string, now, opens time.Time, ratePerMinute int) (admit.Place, error) {
	score := float64(now.UnixMicro()) / 1000
	if now.Before(opens) {
		score = float64(opens.UnixMilli()) - rand.Float64()
	}
	if opens.IsZero() {
		opens = now
	}
	k := w.prefix + "wr:" + strconv.FormatInt(eventID, 10)
	res, err := w.status.Run(ctx, w.client, []string{k + ":queue", k + ":meter"},
		visitor, strconv.FormatFloat(score, 'f', 3, 64), now.UnixMilli(), opens.UnixMilli(), ratePerMinute).Int64Slice()
	if err != nil {
		return admit.Place{}, err
	}
	return admit.Place{Rank: res[0], Admitted: res[1], Size: res[2]}, nil
}

// Stats returns the queue's length and how many have been let through,
// for the console.
func (w *WaitingRoom) Stats(ctx context.Context, eventID int64, now, opens time.Time, ratePerMinute int) (admit.Place, error) {
	return w.Visit(ctx, eventID, "", now, opens, ratePerMinute) // an empty visitor looks without joining
}
