package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// CodeGuard stands in front of every path that takes a discount code (the
// holds of the pages and of the API, the event page's ?code= link) and
// limits the wrong codes one buyer and one address may try. Without it,
// a script finds a code such as VIP2027 in a few dozen guesses, and with
// it the hidden ticket types the code unlocks.
type CodeGuard struct {
	checkout *Checkout
	limiter  FailureLimiter // nil: no limit
}

// FailureLimiter counts allowances of failed attempts
// (internal/redis.Limiter).
type FailureLimiter interface {
	Blocked(ctx context.Context, counts ...admit.Failures) bool
	Fail(ctx context.Context, counts ...admit.Failures)
}

// NewCodeGuard returns the guard for c's codes; a nil limiter limits
// nothing (tests of other things).
func NewCodeGuard(c *Checkout, limiter FailureLimiter) *CodeGuard {
	return &CodeGuard{checkout: c, limiter: limiter}
}

// Wrong codes allowed per window: a buyer mistyping a code gets several
// tries, a guesser a negligible share of any code worth the name.
const (
	codeFailuresPerBuyer   = 10
	codeFailuresPerAddress = 30
	codeFailureWindow      = 15 * time.Minute
)

// codeFailures are the allowances of wrong codes of client: per buyer
// cookie, so moving between addresses does not help, and per address
// (IPv6 by /64), so dropping the cookie does not either.
func codeFailures(client Client) []admit.Failures {
	var f []admit.Failures
	if client.Key != "" {
		f = append(f, admit.Failures{Key: admit.FailureKey("code-buyer", client.Key), Max: codeFailuresPerBuyer, Window: codeFailureWindow})
	}
	if client.IP != "" {
		f = append(f, admit.Failures{Key: admit.FailureKey("code-address", client.IP), Max: codeFailuresPerAddress, Window: codeFailureWindow})
	}
	return f
}

// errTooManyCodes is the answer once the allowance is used up: the same
// whether the code tried is right or wrong, so it reveals nothing.
func errTooManyCodes() error {
	const msg = "Too many wrong codes from here. Wait 15 minutes, then try again."
	return &admit.Error{Code: admit.ERATELIMITED, Message: msg, Field: "discount_code",
		Problems: []admit.Problem{{Field: "discount_code", Message: msg}}}
}

// wrongCode reports whether err refused the code itself: unknown, expired,
// not yet valid or used up. Each tells a guesser something, so each counts.
func wrongCode(err error) bool {
	var de *admit.Error
	return errors.As(err, &de) && de.Code == admit.EINVALID && de.Field == "discount_code"
}

// Blocked reports whether client has used up its wrong codes.
func (g *CodeGuard) Blocked(ctx context.Context, client Client) bool {
	return g.limiter != nil && g.limiter.Blocked(ctx, codeFailures(client)...)
}

// HoldWithCode is Checkout.HoldWithCode for client, refused with
// ERATELIMITED once the client has used up its wrong codes, and counting
// a wrong code against it. A hold without a code is never limited here.
func (g *CodeGuard) HoldWithCode(ctx context.Context, ev *admit.Event, items []admit.HoldItem, client Client, code string) (*admit.Hold, error) {
	if admit.NormalizeCode(code) == "" || g.limiter == nil {
		return g.checkout.HoldWithCode(ctx, ev, items, client, code)
	}
	failures := codeFailures(client)
	if g.limiter.Blocked(ctx, failures...) {
		return nil, errTooManyCodes()
	}
	h, err := g.checkout.HoldWithCode(ctx, ev, items, client, code)
	if wrongCode(err) {
		g.limiter.Fail(ctx, failures...)
	}
	return h, err
}

// FindCode looks up the event's code for a page that shows what it
// unlocks, limited and counted like HoldWithCode: an unknown code is
// EINVALID on discount_code, a client out of tries ERATELIMITED.
func (g *CodeGuard) FindCode(ctx context.Context, ev *admit.Event, client Client, code string) (*admit.DiscountCode, error) {
	var failures []admit.Failures
	if g.limiter != nil {
		failures = codeFailures(client)
		if g.limiter.Blocked(ctx, failures...) {
			return nil, errTooManyCodes()
		}
	}
	dc, err := g.checkout.ledger.FindDiscountCode(ctx, ev.OrganizationID, ev.ID, code)
	if g.limiter != nil && wrongCode(err) {
		g.limiter.Fail(ctx, failures...)
	}
	return dc, err
}
