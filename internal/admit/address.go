package admit

import "net/netip"

// AddressKey returns what per-address limits count a client address as. An
// IPv4 address counts alone; an IPv6 address counts as its /64, because
// one subscriber, and so one attacker, is usually given a whole /64 and
// can use any address in it. An IPv4 address written as IPv6
// (::ffff:192.0.2.1) is the IPv4 address. Anything that is not an address
// is returned as it is, so a limit still counts it.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
