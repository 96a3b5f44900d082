package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// OutboxClaims records which batch of the worker is performing each outbox
// row, for a while: two batches that hold the same row (handed over by two
// relays at once, or again while the first batch still waited) never
// perform it at the same time. A claim lost with Redis can at worst let a
// side effect happen twice, which its receiver deduplicates; MySQL still
// decides what is done.
type OutboxClaims struct {
	client  goredis.UniversalClient
	prefix  string
	claim   *goredis.Script
	release *goredis.Script
}

// claimScript claims each free key, or one the owner (ARGV[1]) holds
// already, for ARGV[2] milliseconds, and returns the positions (from 1) of
// the keys the owner now holds.
var claimScript = goredis.NewScript(`
local held = {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if not v or v == ARGV[1] then
    redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
    held[#held + 1] = i
  end
end
return held
`)

// releaseScript deletes the keys the owner (ARGV[1]) holds.
var releaseScript = goredis.NewScript(`
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 0
`)

// NewOutboxClaims returns the claims over client with keys under prefix.
func NewOutboxClaims(client goredis.UniversalClient, prefix string) *OutboxClaims {
	return &OutboxClaims{client: client, prefix: prefix, claim: claimScript, release: releaseScript}
}

func (c *OutboxClaims) keys(ids []int64) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = c.prefix + "outbox-claim:" + strconv.FormatInt(id, 10)
	}
	return keys
}

// Claim claims the rows ids for owner until lease has passed, and returns
// the ones owner holds: those no one held, and those it held already (a
// batch run again, after its worker died, takes its rows back at once).
func (c *OutboxClaims) Claim(ctx context.Context, owner string, ids []int64, lease time.Duration) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	held, err := c.claim.Run(ctx, c.client, c.keys(ids), owner, lease.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(held))
	for _, i := range held {
		out = append(out, ids[i-1])
	}
	return out, nil
}

// Release frees the rows ids that owner holds.
func (c *OutboxClaims) Release(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return c.release.Run(ctx, c.client, c.keys(ids), owner).Err()
}
