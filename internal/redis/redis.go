// Package redis holds what admit keeps in Redis: the inventory gate that
// absorbs on-sale spikes, the worker's claims on outbox rows, and the
// connection settings shared with asynq.
// Redis is an accelerator, never the authority: every key here can be lost
// in a failover and is rebuilt from MySQL.
package redis

import (
	"context"
	"strings"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
)

// Options says how to reach Redis: one address, or Sentinels and a master
// name for the paired setup.
type Options struct {
	Addr      string
	Sentinels []string
	Master    string
	Password  string
	DB        int
}

// Describe names where Redis is expected, for error messages.
func (o Options) Describe() string {
	if len(o.Sentinels) > 0 {
		return "sentinels " + strings.Join(o.Sentinels, ",") + " master " + o.Master
	}
	return o.Addr
}

// NewClient returns a go-redis client for o: a failover client through
// Sentinel when sentinels are given, a plain client otherwise.
func NewClient(o Options) goredis.UniversalClient {
	if len(o.Sentinels) > 0 {
		return goredis.NewFailoverClient(&goredis.FailoverOptions{
			MasterName:    o.Master,
			SentinelAddrs: o.Sentinels,
			Password:      o.Password,
			DB:            o.DB,
		})
	}
	return goredis.NewClient(&goredis.Options{Addr: o.Addr, Password: o.Password, DB: o.DB})
}

// AsynqOpt returns the same connection settings for asynq.
func (o Options) AsynqOpt() asynq.RedisConnOpt {
	if len(o.Sentinels) > 0 {
		return asynq.RedisFailoverClientOpt{
			MasterName:    o.Master,
			SentinelAddrs: o.Sentinels,
			Password:      o.Password,
			DB:            o.DB,
		}
	}
	return asynq.RedisClientOpt{Addr: o.Addr, Password: o.Password, DB: o.DB}
}

// Ping checks that Redis answers.
func Ping(ctx context.Context, c goredis.UniversalClient) error {
	return c.Ping(ctx).Err()
}
