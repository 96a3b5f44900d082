package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/admithq/admit/internal/admit"
)

// URLPolicy says which endpoint URLs are acceptable. Its zero value is the
// production policy: https only, public addresses only.
type URLPolicy struct {
	// AllowHTTP accepts http:// URLs (development).
	AllowHTTP bool
	// AllowPrivate lifts the address check, so that tests and local
	// development can deliver to receivers on loopback. Never in production:
	// it lets organizers make admit's servers call internal services.
	AllowPrivate bool
	// Resolver looks host names up at save time; nil means the system's.
	Resolver *net.Resolver
}

// ErrForbiddenAddress matches (errors.Is) every refusal of an address that
// webhooks may not reach.
var ErrForbiddenAddress = errors.New("forbidden webhook address")

// AddressError is a refused destination: the URL's host, and the address it
// is or resolved to, with why it is refused.
type AddressError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *AddressError) Error() string {
	if e.Addr.IsValid() && e.Host != e.Addr.String() {
		return "This URL's host " + e.Host + " is " + e.Addr.String() + ", " + e.Reason + ", which webhooks may not reach."
	}
	return "This URL points to " + e.Reason + " (" + e.Host + "), which webhooks may not reach."
}

// Is makes errors.Is(err, ErrForbiddenAddress) true.
func (e *AddressError) Is(target error) bool { return target == ErrForbiddenAddress }

// Check reports whether raw is an acceptable endpoint URL, with a message
// for the organizer when it is not: its form, and (unless AllowPrivate) the
// address it names or its host name resolves to now. The delivery makes the
// same checks again on the address it actually connects to, since DNS may
// answer differently later.
func (p URLPolicy) Check(ctx context.Context, raw string) error {
	u, err := p.checkForm(raw)
	if err != nil || p.AllowPrivate {
		return err
	}
	host := hostOf(u)
	if _, ok := literalAddr(host); ok || net.ParseIP(host) != nil {
		return nil // an address, checked by checkForm
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resolver := p.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return errors.New("The host name " + host + " does not resolve; check the URL.")
	} else if err != nil {
		// DNS is unreachable from here right now: the delivery checks the
		// address it connects to anyway.
		return nil
	}
	for _, a := range addrs {
		if reason, bad := forbiddenAddr(a); bad {
			return &AddressError{Host: host, Addr: a.Unmap(), Reason: reason}
		}
	}
	return nil
}

// checkForm checks everything but DNS: scheme, host, credentials, and an
// address written as the host.
func (p URLPolicy) checkForm(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) != raw || raw == "" {
		return nil, errors.New("Enter the URL without spaces.")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return nil, errors.New("Enter a full URL such as https://example.com/webhooks/admit.")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowHTTP:
	case u.Scheme == "http":
		return nil, errors.New("Use an https:// URL: deliveries carry your attendees' data.")
	default:
		return nil, errors.New("Use an https:// URL.")
	}
	if u.User != nil {
		return nil, errors.New("Leave user names and passwords out of the URL: verify the signature of each delivery instead.")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, errors.New("Leave the #fragment out of the URL.")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("The port must be a number from 1 to 65535.")
		}
	}
	host := hostOf(u)
	if host == "" {
		return nil, errors.New("Enter a full URL such as https://example.com/webhooks/admit.")
	}
	// Numbers that C resolvers, browsers and curl read as IPv4 addresses
	// (2130706433, 0x7f.1, 0177.0.0.1, 127.1) hide the address from a
	// reader: only the usual dotted form is accepted.
	if a, ok := literalAddr(host); ok {
		if reason, bad := forbiddenAddr(a); bad && !p.AllowPrivate {
			return nil, &AddressError{Host: host, Addr: a, Reason: reason}
		}
		if a.String() != host {
			return nil, errors.New("Write the IP address in its usual dotted form (such as 203.0.113.7), or use a host name.")
		}
		return u, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if reason, bad := forbiddenAddr(a); bad && !p.AllowPrivate {
			return nil, &AddressError{Host: host, Addr: a.Unmap(), Reason: reason}
		}
		return u, nil
	}
	if !p.AllowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return nil, &AddressError{Host: host, Reason: "a loopback address"}
	}
	// A host whose last label is a number (0x100.0, 1.2.3.4.5) is no name
	// DNS can hold, and the URL standard reads it as an IPv4 address or
	// nothing: refused, so that no reader takes it for an address.
	if endsInNumber(host) {
		return nil, errors.New("Write the IP address in its usual dotted form (such as 203.0.113.7), or use a host name.")
	}
	if !validHostName(host) {
		return nil, errors.New("The host name " + host + " is not valid.")
	}
	return u, nil
}

// hostOf returns the URL's host, lower-case, without brackets or a final
// dot.
func hostOf(u *url.URL) string {
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// endsInNumber reports whether the host's last label is a number, decimal
// or 0x hexadecimal, as the URL standard's "ends in a number" test does.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		last = last[2:]
		return strings.Trim(last, "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

func validHostName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// literalAddr reads host as inet_aton(3) does: one to four parts, each
// decimal, octal (leading 0) or hexadecimal (0x), the last filling the
// remaining bytes. It reports false for anything else, including names.
func literalAddr(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		if p == "" && base != 16 {
			return netip.Addr{}, false
		}
		if p == "" {
			p = "0" // "0x" alone is zero to inet_aton
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

var (
	metadataAddrs  = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}
	nat64Prefix    = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	reservedRanges = []struct {
		prefix netip.Prefix
		reason string
	}{
		{netip.MustParsePrefix("0.0.0.0/8"), "a reserved address (this network)"},
		{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
		{netip.MustParsePrefix("192.0.0.0/24"), "a reserved address"},
		{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
		{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
		{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
		{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
		{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
		{netip.MustParsePrefix("::/96"), "a reserved address (IPv4-compatible IPv6)"},
		{netip.MustParsePrefix("64:ff9b:1::/48"), "a local NAT64 address"},
		{netip.MustParsePrefix("100::/64"), "a discard address"},
		{netip.MustParsePrefix("2001::/32"), "a Teredo tunnel address"},
		{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
		{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	}
)

// forbiddenAddr reports whether webhooks may not reach a, and why: every
// address that is not a public unicast one, including IPv4 addresses
// written as IPv6 (::ffff:127.0.0.1) or embedded by NAT64 and 6to4.
func forbiddenAddr(a netip.Addr) (reason string, bad bool) {
	a = a.WithZone("").Unmap()
	switch {
	case !a.IsValid():
		return "an invalid address", true
	case a.IsUnspecified():
		return "an unspecified address", true
	case a.IsLoopback():
		return "a loopback address", true
	}
	for _, m := range metadataAddrs {
		if a == m {
			return "the cloud metadata service", true
		}
	}
	switch {
	case a.IsLinkLocalUnicast():
		return "a link-local address", true
	case a.IsPrivate():
		return "a private network address", true
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address", true
	}
	if nat64Prefix.Contains(a) {
		b := a.As16()
		return forbiddenAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if sixToFour.Contains(a) {
		b := a.As16()
		return forbiddenAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	for _, r := range reservedRanges {
		if r.prefix.Contains(a) {
			return r.reason, true
		}
	}
	return "", false
}

// dialControl refuses, just before connecting, every address webhooks may
// not reach: the address actually dialled, after DNS, so neither a
// rebinding name nor a proxy nor a redirect (never followed anyway) can
// reach an internal service.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &AddressError{Host: address, Reason: "an address that cannot be checked"}
	}
	if reason, bad := forbiddenAddr(ap.Addr()); bad {
		return &AddressError{Host: ap.Addr().Unmap().String(), Addr: ap.Addr().Unmap(), Reason: reason}
	}
	return nil
}

// CheckEndpoint is the one check of an endpoint an organizer saves, from
// the console or the API: its fields (admit.WebhookEndpoint.Validate),
// event types that exist, and a URL whose form and address delivery will
// accept. It trims the URL and description and drops repeated types.
func (p URLPolicy) CheckEndpoint(ctx context.Context, e *admit.WebhookEndpoint) error {
	e.URL, e.Description = strings.TrimSpace(e.URL), strings.TrimSpace(e.Description)
	var types []string
	for _, t := range e.EventTypes {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	e.EventTypes = types
	var problems admit.Problems
	if err := e.Validate(); err != nil {
		var ae *admit.Error
		if !errors.As(err, &ae) {
			return err
		}
		problems = ae.Problems
	}
	for _, t := range e.EventTypes {
		if !KnownEventType(t) {
			problems.Add("event_types", "Unknown event type \""+t+"\"; choose event types from the list.")
			break
		}
	}
	if problems.For("url") == "" {
		if err := p.Check(ctx, e.URL); err != nil {
			problems.Add("url", err.Error())
		}
	}
	return problems.Err()
}
