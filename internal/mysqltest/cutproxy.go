package mysqltest

import (
	"io"
	"net"
	"sync"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/admithq/admit/internal/mysql"
)

// MustOpenBehindCutProxy returns storage on a fresh, migrated database
// reached through a CutProxy, to cut as a failover does; both are closed
// when the test ends.
func MustOpenBehindCutProxy(tb testing.TB) (*mysql.DB, *CutProxy) {
	tb.Helper()
	cfg, err := gomysql.ParseDSN(MustDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	proxy := MustCutProxy(tb, cfg.Addr)
	cfg.Addr = proxy.Addr()
	db, err := mysql.Open(cfg.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, proxy
}

// CutProxy forwards TCP connections to a server until cut: then it drops
// every connection and hangs up on new ones, as a database failing over
// looks to its clients, until healed.
type CutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

// MustCutProxy starts a proxy to the address to, stopped when the test ends.
func MustCutProxy(tb testing.TB, to string) *CutProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &CutProxy{ln: ln}
	tb.Cleanup(func() { ln.Close(); p.SetCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", to)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

// Addr is the proxy's address.
func (p *CutProxy) Addr() string { return p.ln.Addr().String() }

// SetCut cuts the proxy (every connection dropped, new ones hung up on) or
// heals it.
func (p *CutProxy) SetCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}
