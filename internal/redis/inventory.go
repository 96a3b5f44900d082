package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/admit"
)

// Inventory is the gate in front of the MySQL ledger: one counter per ticket
// type holding how many tickets may still be held. A Lua script checks and
// decrements every counter of a request atomically, so sold-out and
// over-contended requests are answered here, without touching MySQL. Its
// "yes" is only a ticket to try the ledger; its "no" may be stale by the
// reconcile interval at most.
type Inventory struct {
	client goredis.UniversalClient
	prefix string
	take   *goredis.Script
}

// counterTTL keeps counters of past events from living forever; the
// reconciler refreshes live ones long before.
const counterTTL = 30 * 24 * time.Hour

// takeScript returns {1} when every counter had enough and was decremented,
// {-1, i} when counter i is missing (to be rebuilt from MySQL), and
// {0, i, left} when counter i has only left.
var takeScript = goredis.NewScript(`
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if not v then return {-1, i} end
  local left = tonumber(v)
  if left < tonumber(ARGV[i]) then return {0, i, left} end
end
for i = 1, #KEYS do
  redis.call('DECRBY', KEYS[i], ARGV[i])
end
return {1}
`)

// NewInventory returns the gate over client with keys under prefix.
func NewInventory(client goredis.UniversalClient, prefix string) *Inventory {
	return &Inventory{client: client, prefix: prefix, take: takeScript}
}

func (inv *Inventory) key(ticketTypeID int64) string {
	return inv.prefix + "inv:" + strconv.FormatInt(ticketTypeID, 10)
}

// Take decrements the counters of items if every one has enough.
func (inv *Inventory) Take(ctx context.Context, items []admit.HoldItem) (admit.GateResult, error) {
	keys := make([]string, len(items))
	args := make([]any, len(items))
	for i, it := range items {
		keys[i] = inv.key(it.TicketTypeID)
		args[i] = it.Quantity
	}
	res, err := inv.take.Run(ctx, inv.client, keys, args...).Int64Slice()
	if err != nil {
		return admit.GateResult{}, err
	}
	switch {
	case len(res) == 1 && res[0] == 1:
		return admit.GateResult{Admitted: true}, nil
	case len(res) == 2 && res[0] == -1:
		return admit.GateResult{Missing: []int64{items[res[1]-1].TicketTypeID}}, nil
	case len(res) == 3 && res[0] == 0:
		left := int(res[2])
		if left < 0 {
			left = 0
		}
		return admit.GateResult{Short: items[res[1]-1].TicketTypeID, Left: left}, nil
	}
	return admit.GateResult{}, errors.New("inventory gate: unexpected script result")
}

// Return gives capacity back to the counters (a hold released or expired, a
// ledger refusal after the gate said yes). Counters that do not exist are
// left alone: they are rebuilt from MySQL, which already has the change.
func (inv *Inventory) Return(ctx context.Context, items []admit.HoldItem) error {
	_, err := inv.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, it := range items {
			p.Do(ctx, "EVAL", `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return nil`, 1, inv.key(it.TicketTypeID), it.Quantity)
		}
		return nil
	})
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	return err
}

// Init sets a missing counter to available, as read from MySQL. An existing
// counter is left as it is: another server rebuilt it first.
func (inv *Inventory) Init(ctx context.Context, ticketTypeID int64, available int) error {
	return inv.client.SetNX(ctx, inv.key(ticketTypeID), available, counterTTL).Err()
}

// Set overwrites the counter with available, as read from MySQL; the
// reconciler uses it to correct drift.
func (inv *Inventory) Set(ctx context.Context, ticketTypeID int64, available int) error {
	return inv.client.Set(ctx, inv.key(ticketTypeID), available, counterTTL).Err()
}

// Available returns the counter's value and whether it exists.
func (inv *Inventory) Available(ctx context.Context, ticketTypeID int64) (int, bool, error) {
	n, err := inv.client.Get(ctx, inv.key(ticketTypeID)).Int()
	if errors.Is(err, goredis.Nil) {
		return 0, false, nil
	}
	return n, err == nil, err
}
