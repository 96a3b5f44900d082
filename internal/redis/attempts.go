package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Failures is one allowance of failed attempts, such as wrong passwords
// for one account from one address: at most Max failures of Key within
// Window from the first.
type Failures struct {
	Key    string
	Max    int
	Window time.Duration
}

// FailureKey joins the parts of a failure key, hashing each so that
// whatever a client typed (an email address, a guessed code) makes a short
// key and never a second separator.
func FailureKey(kind string, parts ...string) string {
	key := kind
	for _, p := range parts {
		sum := sha256.Sum256([]byte(p))
		key += ":" + hex.EncodeToString(sum[:12])
	}
	return key
}

func (l *Limiter) failureKey(key string) string { return l.prefix + "fail:" + key }

// Blocked reports whether any of counts has used up its allowance. Only
// failures count (see Fail), so successes never lock anyone out. If Redis
// cannot be read it reports false: the accelerator being down must not
// stop logins or checkouts, and what it guards (bcrypt, long codes) still
// slows guessing.
func (l *Limiter) Blocked(ctx context.Context, counts ...Failures) bool {
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
func (l *Limiter) Fail(ctx context.Context, counts ...Failures) {
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
func (l *Limiter) Forgive(ctx context.Context, counts ...Failures) {
	keys := make([]string, len(counts))
	for i, c := range counts {
		keys[i] = l.failureKey(c.Key)
	}
	if len(keys) > 0 {
		l.client.Del(ctx, keys...)
	}
}
