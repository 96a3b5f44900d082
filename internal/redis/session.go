package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/admithq/admit/internal/admit"
)

// Sessions keeps console sessions in Redis, so any app server serves any
// request. Keys are hashes of the session ids: a copy of Redis does not
// hand out working cookies. Losing Redis logs people out, nothing more.
type Sessions struct {
	client goredis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewSessions returns a session store whose sessions last ttl after the
// last request.
func NewSessions(client goredis.UniversalClient, prefix string, ttl time.Duration) *Sessions {
	return &Sessions{client: client, prefix: prefix, ttl: ttl}
}

func (s *Sessions) key(id string) string {
	sum := sha256.Sum256([]byte(id))
	return s.prefix + "session:" + hex.EncodeToString(sum[:])
}

// Create starts a session for the user and returns its new, random id.
func (s *Sessions) Create(ctx context.Context, userID int64) (string, error) {
	id := admit.NewToken(32)
	b, err := json.Marshal(admit.Session{UserID: userID, CreatedAt: time.Now().UTC()})
	if err != nil {
		return "", err
	}
	if err := s.client.Set(ctx, s.key(id), b, s.ttl).Err(); err != nil {
		return "", err
	}
	return id, nil
}

// Get returns the session with id and extends it, or EUNAUTHORIZED.
func (s *Sessions) Get(ctx context.Context, id string) (*admit.Session, error) {
	if id == "" {
		return nil, admit.Errorf(admit.EUNAUTHORIZED, "Please log in.")
	}
	b, err := s.client.GetEx(ctx, s.key(id), s.ttl).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, admit.Errorf(admit.EUNAUTHORIZED, "Your session has ended. Please log in again.")
	} else if err != nil {
		return nil, err
	}
	var sess admit.Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, err
	}
	return &sess, nil
}

// Delete ends the session.
func (s *Sessions) Delete(ctx context.Context, id string) error {
	return s.client.Del(ctx, s.key(id)).Err()
}

// Limiter counts attempts in fixed windows, for login rate limits.
type Limiter struct {
	client goredis.UniversalClient
	prefix string
}

// NewLimiter returns a limiter with keys under prefix.
func NewLimiter(client goredis.UniversalClient, prefix string) *Limiter {
	return &Limiter{client: client, prefix: prefix}
}

// Allow counts one attempt for key and reports whether it is within limit
// attempts per window. If Redis is unreachable it allows: a login must not
// depend on the accelerator, and bcrypt already slows guessing.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, window time.Duration) bool {
	k := l.prefix + "limit:" + key
	n, err := l.client.Incr(ctx, k).Result()
	if err != nil {
		return true
	}
	if n == 1 {
		l.client.Expire(ctx, k, window)
	}
	return n <= int64(limit)
}

// Reset forgets the attempts for key (after a successful login).
func (l *Limiter) Reset(ctx context.Context, key string) {
	l.client.Del(ctx, l.prefix+"limit:"+key)
}
