package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// offlineResolver fails every lookup at once, as DNS does when unreachable:
// Check then decides by the URL's form alone, which is what this fuzz test
// examines (the delivery checks resolved addresses again when dialling).
var offlineResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in this test")
}}

// numericHost is a host every part of which is a number, as C resolvers
// and browsers read IPv4 addresses (127.1, 0x7f.0.0.1, 2130706433).
var numericHost = regexp.MustCompile(`^((0x[0-9a-f]*|[0-9]+)\.){0,3}(0x[0-9a-f]*|[0-9]+)$`)

// FuzzURLPolicy: no URL the policy accepts names a loopback, private,
// link-local, multicast, unspecified or metadata address, carries
// credentials or a fragment, or uses another scheme than https (or http
// when allowed), judged by the standard library's own reading of the URL,
// which is what the delivery's HTTP client dials.
func FuzzURLPolicy(f *testing.F) {
	for _, u := range append(append([]string{}, forbiddenURLs...),
		"https://example.com/webhooks/admit", "https://93.184.215.14:8443/hook", "https://[2606:4700::1111]/x",
		"https://user:pw@example.com/", "https://example.com/#frag", "ftp://example.com/", "https://localhost./",
		"https://127.1/", "https://2130706433/", "https://0x7f.0.0.1/", "https://[::ffff:169.254.169.254]/",
		"https://%31%32%37.0.0.1/", "https://example.com:0/", "https://example.com:99999/", "https://exa mple.com/",
		"HTTPS://EXAMPLE.COM/", "https://[fe80::1%25eth0]/", "https://0/", "https://[::]/", "https://example.com./",
	) {
		f.Add(u, false)
		f.Add(u, true)
	}
	f.Fuzz(func(t *testing.T, raw string, allowHTTP bool) {
		p := URLPolicy{AllowHTTP: allowHTTP, Resolver: offlineResolver}
		if p.Check(context.Background(), raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", raw, err)
		}
		if u.Scheme != "https" && !(allowHTTP && u.Scheme == "http") {
			t.Fatalf("accepted %q with scheme %q", raw, u.Scheme)
		}
		if u.User != nil || strings.Contains(raw, "#") {
			t.Fatalf("accepted %q with credentials or a fragment", raw)
		}
		if port := u.Port(); port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				t.Fatalf("accepted %q with port %q", raw, port)
			}
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
			t.Fatalf("accepted %q with host %q", raw, host)
		}
		if ip := net.ParseIP(host); ip != nil {
			a, _ := netip.AddrFromSlice(ip)
			a = a.Unmap()
			if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() ||
				a.IsUnspecified() || a.IsInterfaceLocalMulticast() || a == netip.MustParseAddr("169.254.169.254") {
				t.Fatalf("accepted %q, which names %s", raw, a)
			}
		} else if numericHost.MatchString(host) {
			t.Fatalf("accepted %q, whose host %q resolvers read as an IPv4 address", raw, host)
		}
	})
}
