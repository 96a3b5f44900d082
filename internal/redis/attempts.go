package redis

import (
	"context"
	"strconv"

	"github.com/admithq/admit/internal/admit"
	goredis "github.com/redis/go-redis/v9"
)

func (l *Limiter) failureKey(key string) string { return l.prefix + "fail:" + key }

// Blocked reports whether any of counts has used up its allowance. Only
// failures count (see Fail), so successes never lock anyone out. If Redis
// cannot be read it reports false: the accelerator being down must not
// stop logins or checkouts, and what it guards (bcrypt, long codes) still
// slows guessing.
func (l *Limiter) Blocked(ctx context.Context, counts ...admit.Failures) bool {
	if len(counts) == 0 {
		return false
	}
	keys := make([]string, len(counts))
	for i, c := range counts {
		keys[i] = l.failureKey(c.Key)
	}
	values, err := l.client.MGet(ctx, keys...).Result()
	if err != nil {
		return false
	}
	for i, v := range values {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(s); err == nil && n >= counts[i].Max {
			return true
		}
	}
	return false
}

// failScript counts a failure, starting the window at the first one, in
// one step: a crash between the increment and the expiry would otherwise
// leave a count that never ends.
var failScript = goredis.NewScript(`local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Fail counts one failure against each of counts, in one round trip.
// Errors are ignored, as in Blocked.
func (l *Limiter) Fail(ctx context.Context, counts ...admit.Failures) {
	if len(counts) == 0 {
		return
	}
	pipe := l.client.Pipeline()
	for _, c := range counts {
		failScript.Eval(ctx, pipe, []string{l.failureKey(c.Key)}, c.Window.Milliseconds())
	}
	_, _ = pipe.Exec(ctx)
}

// Forgive forgets the failures of counts, as after a successful login.
func (l *Limiter) Forgive(ctx context.Context, counts ...admit.Failures) {
	keys := make([]string, len(counts))
	for i, c := range counts {
		keys[i] = l.failureKey(c.Key)
	}
	if len(keys) > 0 {
		l.client.Del(ctx, keys...)
	}
}
