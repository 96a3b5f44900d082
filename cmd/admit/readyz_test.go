package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/mysqltest"
)

// tcpProxy forwards to a real server and can cut every connection and
// refuse new ones, as if the server had stopped, then come back on the same
// address.
type tcpProxy struct {
	addr, target string
	delay        atomic.Int64 // nanoseconds added before each reply chunk
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func mustProxy(tb testing.TB, target string) *tcpProxy {
	tb.Helper()
	p := &tcpProxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	tb.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[upstream] = true, true
	p.mu.Unlock()
	go func() { io.Copy(upstream, c); upstream.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := upstream.Read(buf)
		if n > 0 {
			time.Sleep(time.Duration(p.delay.Load()))
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
}

// down closes the listener and every connection.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// up listens again on the same address.
func (p *tcpProxy) up(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		tb.Fatal(err)
	}
	p.serve(ln)
}

// TestReadyzNamesDownComponent stops MySQL and memcached (as seen from the
// server) and checks the operators' /readyz says which, then recovers
// without a restart. The public /readyz turns 503 too, naming nothing.
func TestReadyzNamesDownComponent(t *testing.T) {
	dsn := mysqltest.MustDSN(t)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	mysqlProxy := mustProxy(t, cfg.Addr)
	cacheProxy := mustProxy(t, "127.0.0.1:11311")
	cfg.Addr = mysqlProxy.addr
	getenv := testEnv(t, cfg.FormatDSN(), map[string]string{"ADMIT_MEMCACHED": cacheProxy.addr, "ADMIT_OPS_ADDR": "127.0.0.1:0"})
	mustRun(t, getenv, "migrate", "up")
	base, ops, _ := mustServeOps(t, getenv)

	ready := func() (int, string) {
		resp, err := http.Get(ops + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor := func(what string, cond func(int, string) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, body := ready()
			if cond(st, body) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: /readyz still %d %s", what, st, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if st, body := ready(); st != http.StatusOK {
		t.Fatalf("/readyz before faults: %d %s", st, body)
	}

	mysqlProxy.down()
	waitFor("mysql down", func(st int, body string) bool {
		return st == http.StatusServiceUnavailable && strings.Contains(body, `"mysql"`) && !strings.Contains(body, `"memcached"`)
	})
	if resp, body := mustGet(t, base+"/readyz"); resp.StatusCode != http.StatusServiceUnavailable || body != `{"status":"unavailable"}`+"\n" {
		t.Errorf("public /readyz with MySQL down: %d %q, want 503 naming no component", resp.StatusCode, body)
	}
	mysqlProxy.up(t)
	waitFor("mysql back", func(st int, _ string) bool { return st == http.StatusOK })

	cacheProxy.down()
	waitFor("memcached down", func(st int, body string) bool {
		return st == http.StatusServiceUnavailable && strings.Contains(body, `"memcached"`) && !strings.Contains(body, `"mysql"`)
	})
	cacheProxy.up(t)
	waitFor("memcached back", func(st int, _ string) bool { return st == http.StatusOK })
}
