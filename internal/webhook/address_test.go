package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// forbiddenURLs name loopback, private, link-local, metadata and reserved
// addresses in the ways an attacker would write them.
var forbiddenURLs = []string{
	"http://127.0.0.1/hook",
	"http://127.0.0.1:8080/hook",
	"http://10.0.0.1/",
	"http://172.16.5.4/",
	"http://192.168.1.1/",
	"http://169.254.169.254/latest/meta-data/",
	"http://[::1]/",
	"http://[::ffff:127.0.0.1]/",
	"http://[::ffff:7f00:1]/",
	"http://[fe80::1]/",
	"http://[fc00::1]/",
	"http://[fd00:ec2::254]/",
	"http://[64:ff9b::a00:1]/",
	"http://[2002:7f00:1::]/",
	"http://0.0.0.0/",
	"http://[::]/",
	"http://224.0.0.1/",
	"http://100.64.0.1/",
	"http://2130706433/",
	"http://0x7f.1/",
	"http://0x7f000001/",
	"http://0177.0.0.1/",
	"http://127.1/",
	"http://017700000001/",
	"http://localhost/",
	"http://localhost./",
	"http://LOCALHOST:9000/",
	"http://admin.localhost/",
}

func TestCheckRefusesForbiddenAddresses(t *testing.T) {
	policy := URLPolicy{AllowHTTP: true}
	for _, u := range forbiddenURLs {
		t.Run(u, func(t *testing.T) {
			err := policy.Check(context.Background(), u)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrForbiddenAddress) && !strings.Contains(err.Error(), "usual dotted form") {
				t.Errorf("refused for the wrong reason: %v", err)
			}
		})
	}
}

// TestCheckResolvesNames: a host name is refused when DNS (here the hosts
// file) answers with a forbidden address, as a rebinding name would.
func TestCheckResolvesNames(t *testing.T) {
	name, _ := os.Hostname()
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", name)
	if err != nil || len(addrs) == 0 || !addrs[0].Unmap().IsLoopback() {
		t.Skipf("this machine's name %q does not resolve to loopback", name)
	}
	policy := URLPolicy{AllowHTTP: true}
	if err := policy.Check(context.Background(), "http://"+name+":8080/hook"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("%s (%v): %v", name, addrs, err)
	}
	if err := (URLPolicy{AllowHTTP: true, AllowPrivate: true}).Check(context.Background(), "http://"+name+":8080/hook"); err != nil {
		t.Errorf("%s with allow-private: %v", name, err)
	}
}

func TestCheckForm(t *testing.T) {
	for _, tt := range []struct {
		name   string
		policy URLPolicy
		url    string
		want   string // part of the message; "" means accepted
	}{
		{"https", URLPolicy{}, "https://93.184.215.14/hooks", ""},
		{"http in production", URLPolicy{}, "http://93.184.215.14/hooks", "https://"},
		{"http in development", URLPolicy{AllowHTTP: true}, "http://93.184.215.14/hooks", ""},
		{"ftp", URLPolicy{AllowHTTP: true}, "ftp://93.184.215.14/", "https://"},
		{"relative", URLPolicy{}, "/hooks", "full URL"},
		{"no host", URLPolicy{}, "https:///hooks", "full URL"},
		{"credentials", URLPolicy{}, "https://user:pw@93.184.215.14/", "passwords"},
		{"spaces", URLPolicy{}, " https://93.184.215.14/", "spaces"},
		{"bad port", URLPolicy{}, "https://93.184.215.14:99999/", "port"},
		{"bad host", URLPolicy{}, "https://-bad-.example/", "not valid"},
		{"loopback allowed for tests", URLPolicy{AllowHTTP: true, AllowPrivate: true}, "http://127.0.0.1:8080/", ""},
		{"odd forms even then", URLPolicy{AllowHTTP: true, AllowPrivate: true}, "http://2130706433/", "dotted"},
		{"public odd form", URLPolicy{}, "https://1572395534/", "dotted"},
		{"number too large for inet_aton", URLPolicy{}, "https://0x100.0/", "dotted"},
		{"five numbers", URLPolicy{}, "https://1.2.3.4.5/", "dotted"},
		{"name ending in a hex-looking word", URLPolicy{}, "https://cafe.example.beef/", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.policy.checkForm(tt.url)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want a message with %q", err, tt.want)
			}
		})
	}
}

func TestLiteralAddr(t *testing.T) {
	for host, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f.1": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "127.1": "127.0.0.1",
		"10.1": "10.0.0.1", "0xa9.254.0xa9.254": "169.254.169.254", "3232235777": "192.168.1.1", "1.2.3.4": "1.2.3.4",
	} {
		got, ok := literalAddr(host)
		if !ok || got.String() != want {
			t.Errorf("literalAddr(%q) = %v, %v; want %s", host, got, ok, want)
		}
	}
	for _, host := range []string{"example.com", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "08.1.1.1", "", "1..2", "4294967296"} {
		if a, ok := literalAddr(host); ok {
			t.Errorf("literalAddr(%q) = %v, want no address", host, a)
		}
	}
}

func TestForbiddenAddr(t *testing.T) {
	for _, a := range []string{"8.8.8.8", "93.184.215.14", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"} {
		if reason, bad := forbiddenAddr(netip.MustParseAddr(a)); bad {
			t.Errorf("%s refused as %s", a, reason)
		}
	}
	for _, a := range []string{"127.0.0.1", "::1", "::ffff:10.0.0.1", "169.254.169.254", "fe80::1%eth0", "ff02::1", "255.255.255.255", "::ffff:169.254.169.254"} {
		if _, bad := forbiddenAddr(netip.MustParseAddr(a)); !bad {
			t.Errorf("%s accepted", a)
		}
	}
}

// TestClientRefusesForbiddenAddresses: at delivery time the dialer checks
// the address it connects to, whatever the URL says: a receiver on
// loopback is never reached, by address or by a name resolving to it.
func TestClientRefusesForbiddenAddresses(t *testing.T) {
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer ts.Close()
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	client := NewClient(URLPolicy{}, 2*time.Second)
	for _, u := range []string{
		ts.URL,
		strings.Replace(ts.URL, "127.0.0.1", "localhost", 1),
		strings.Replace(ts.URL, "127.0.0.1", "[::ffff:127.0.0.1]", 1),
		strings.Replace(ts.URL, "127.0.0.1", hostname(), 1),
		"http://10.0.0.1:" + strconv.Itoa(port) + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::1]:" + strconv.Itoa(port) + "/",
	} {
		resp, err := client.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: delivered (status %d)", u, resp.StatusCode)
			continue
		}
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want a forbidden address", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
	// With the setting for tests, the same receiver is reached.
	resp, err := NewClient(URLPolicy{AllowPrivate: true}, 2*time.Second).Post(ts.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Error("allow-private did not reach the receiver")
	}
}

// TestClientDoesNotFollowRedirects: a redirect is the answer, never
// followed.
func TestClientDoesNotFollowRedirects(t *testing.T) {
	var reached atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Store(true) }))
	defer target.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer ts.Close()
	resp, err := NewClient(URLPolicy{AllowPrivate: true}, 2*time.Second).Post(ts.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || reached.Load() {
		t.Errorf("status %d, redirect target reached: %v", resp.StatusCode, reached.Load())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "5": 5 * time.Second, "-3": 0, "soon": 0, "999999999": maxRetryAfter,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func hostname() string {
	name, _ := os.Hostname()
	return name
}
