package console

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/admithq/admit/internal/admit"
)

// WaitingRoomStore is what the waiting room settings need from storage.
type WaitingRoomStore interface {
	SetWaitingRoom(ctx context.Context, orgID, eventID int64, on bool, opensAt time.Time, ratePerMinute int) error
}

// roomView is the waiting room's figures on the event dashboard.
type roomView struct {
	On      bool
	OpensAt string // datetime-local in the event's zone
	Rate    int
	// Auto: the room is not turned on but engaged on its own, because more
	// visitors arrived than the system admits; it lets them through at
	// AutoRate per minute from AutoSince, until AutoUntil unless arrivals
	// stay that high.
	Auto        bool
	AutoSince   string
	AutoUntil   string
	AutoRate    int
	Queue       int64
	Admitted    int64
	Waiting     int64
	DrainTime   string
	Unavailable bool
}

func (h *Handler) roomView(ctx context.Context, ev *admit.Event) roomView {
	v := roomView{On: ev.WaitingRoom, Rate: max(ev.WaitingRoomRate, 1)}
	if !ev.WaitingRoomOpensAt.IsZero() {
		v.OpensAt = ev.WaitingRoomOpensAt.In(ev.Location()).Format("2006-01-02T15:04")
	}
	if h.room == nil {
		return v
	}
	now := time.Now()
	opens, rate := ev.WaitingRoomOpensAt, v.Rate
	if !ev.WaitingRoom {
		e, err := h.room.Engagement(ctx, ev.ID)
		if err != nil || !e.On(now) {
			return v
		}
		const when = "Mon 2 Jan, 15:04:05"
		v.Auto, v.AutoRate = true, max(e.RatePerMinute, 1)
		v.AutoSince, v.AutoUntil = e.Since.In(ev.Location()).Format(when), e.Until.In(ev.Location()).Format(when)
		opens, rate = e.Since, v.AutoRate
	}
	p, err := h.room.Stats(ctx, ev.ID, now, opens, rate)
	if err != nil {
		v.Unavailable = true
		return v
	}
	v.Queue, v.Admitted = p.Size, min(p.Admitted, p.Size)
	v.Waiting = v.Queue - v.Admitted
	v.DrainTime = drainTime(v.Waiting, rate)
	return v
}

// waitingRoomUpdate turns the waiting room on or off and sets when it opens
// and how many visitors per minute it lets through; a new rate applies from
// the next visitor's refresh, without losing anyone's place.
func (h *Handler) waitingRoomUpdate(c echo.Context) error {
	ev, err := h.loadEvent(c)
	if err != nil {
		return err
	}
	m := currentMember(c)
	to := "/console/" + m.org.Slug + "/events/" + strconv.FormatInt(ev.ID, 10)
	on := c.FormValue("on") != ""
	rate, err := strconv.Atoi(strings.TrimSpace(c.FormValue("rate")))
	if err != nil || rate < 1 || rate > 1_000_000 {
		return h.redirectWithFlash(c, to, "Not saved: the admission rate must be a whole number of visitors per minute, from 1.")
	}
	var opens time.Time
	if v := strings.TrimSpace(c.FormValue("opens_at")); v != "" {
		if opens, err = time.ParseInLocation("2006-01-02T15:04", v, ev.Location()); err != nil {
			return h.redirectWithFlash(c, to, "Not saved: the opening time must be a date and time.")
		}
	}
	if err := h.store.SetWaitingRoom(c.Request().Context(), m.org.ID, ev.ID, on, opens, rate); err != nil {
		return err
	}
	state := "off"
	if on {
		state = "on, " + strconv.Itoa(rate) + " per minute"
	}
	h.audit(c, "event.waiting_room", ev.Name, state)
	return h.redirectWithFlash(c, to, "Waiting room "+state+".")
}

// drainTime says how long the queue's waiting visitors take to get through
// at rate per minute, in words an organizer reads at a glance: "under a
// minute", "1 minute", "12 minutes", "2 h 5 min".
func drainTime(waiting int64, rate int) string {
	rate = max(rate, 1)
	minutes := (waiting + int64(rate) - 1) / int64(rate) // a started minute counts
	switch {
	case waiting < int64(max(rate, 1)):
		return "under a minute"
	case minutes == 1:
		return "1 minute"
	case minutes < 60:
		return strconv.FormatInt(minutes, 10) + " minutes"
	case minutes%60 == 0:
		return strconv.FormatInt(minutes/60, 10) + " h"
	}
	return strconv.FormatInt(minutes/60, 10) + " h " + strconv.FormatInt(minutes%60, 10) + " min"
}
