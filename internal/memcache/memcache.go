// Package memcache caches rendered pages and fragments in memcached. Losing a
// server only costs cache misses: callers treat every error as a miss.
package memcache

import (
	"context"
	"errors"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// Cache is a memcached client with a key prefix.
type Cache struct {
	client *memcache.Client
	// servers has a client of its own per server, for Ping.
	servers []*memcache.Client
	prefix  string
}

// New returns a cache over servers. Keys are prefixed so several deployments
// (or test packages) can share servers.
func New(servers []string, prefix string) *Cache {
	c := memcache.New(servers...)
	c.Timeout = 200 * time.Millisecond
	c.MaxIdleConns = 64
	cache := &Cache{client: c, prefix: prefix}
	for _, s := range servers {
		one := memcache.New(s)
		one.Timeout = c.Timeout
		cache.servers = append(cache.servers, one)
	}
	return cache
}

// Get returns the value stored under key, or ok false on a miss or any error.
func (c *Cache) Get(key string) (value []byte, ok bool) {
	it, err := c.client.Get(c.prefix + key)
	if err != nil {
		return nil, false
	}
	return it.Value, true
}

// Set stores value under key for ttl; failures are ignored (a later miss).
func (c *Cache) Set(key string, value []byte, ttl time.Duration) {
	secs := int32(ttl / time.Second)
	if secs < 1 {
		secs = 1
	}
	_ = c.client.Set(&memcache.Item{Key: c.prefix + key, Value: value, Expiration: secs})
}

// Delete removes key; a miss is not an error.
func (c *Cache) Delete(key string) {
	_ = c.client.Delete(c.prefix + key)
}

// Ping checks that at least one server answers: with one of a pair down,
// the keys it held are misses and the page is rendered again, which is no
// reason to take an app server out of the load balancer. gomemcache's Ping
// takes no context; the client timeout bounds it.
func (c *Cache) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(c.servers) == 0 {
		return errors.New("no memcached servers configured")
	}
	var errs []error
	for _, s := range c.servers {
		err := s.Ping()
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
