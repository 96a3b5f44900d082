package admit

import "time"

// Session is what a console session remembers.
type Session struct {
	UserID    int64     `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
}
