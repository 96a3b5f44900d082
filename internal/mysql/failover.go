package mysql

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// FailoverNetwork is the DSN network that takes several addresses and uses
// the first that answers, so an app server can reach MySQL through either of
// two load balancers: admit:admit@failover(10.0.3.11:3306,10.0.3.12:3306)/admit.
// The driver keeps a pool, so a dial happens only for a new connection; the
// address that worked last is tried first.
const FailoverNetwork = "failover"

func init() {
	// The driver's registry of networks is global; registering here makes
	// the network available to every DSN the program opens.
	gomysql.RegisterDialContext(FailoverNetwork, newFailoverDialer(time.Second, 2*time.Second).DialContext)
}

// failoverDialer dials comma-separated addresses in order, starting with the
// one that answered last.
type failoverDialer struct {
	connectTimeout  time.Duration // per address: a dead host must not stall the pool
	greetingTimeout time.Duration // per address: how long the server may take to greet

	mu       sync.Mutex
	lastGood map[string]int // address list -> index of the address that answered last
}

func newFailoverDialer(connectTimeout, greetingTimeout time.Duration) *failoverDialer {
	return &failoverDialer{connectTimeout: connectTimeout, greetingTimeout: greetingTimeout, lastGood: map[string]int{}}
}

// DialContext returns a connection to the first address of list whose server
// sent its greeting. A load balancer (or a proxy in front of one) accepts a
// TCP connection even when nothing stands behind it and then hangs up, so a
// successful connect alone says nothing: MySQL servers speak first, and the
// dial only counts once their greeting packet has arrived and is not an error.
func (d *failoverDialer) DialContext(ctx context.Context, list string) (net.Conn, error) {
	addrs := strings.Split(list, ",")
	for i := range addrs {
		addrs[i] = strings.TrimSpace(addrs[i])
	}
	d.mu.Lock()
	start := d.lastGood[list]
	d.mu.Unlock()

	var errs []error
	for n := range addrs {
		i := (start + n) % len(addrs)
		if addrs[i] == "" {
			continue
		}
		conn, err := d.dialOne(ctx, addrs[i])
		if err == nil {
			d.mu.Lock()
			d.lastGood[list] = i
			d.mu.Unlock()
			return conn, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addrs[i], err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("failover(%s): no address", list)
	}
	return nil, fmt.Errorf("failover(%s): %w", list, errors.Join(errs...))
}

func (d *failoverDialer) dialOne(ctx context.Context, addr string) (net.Conn, error) {
	dialer := net.Dialer{Timeout: d.connectTimeout, KeepAlive: 30 * time.Second}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(d.greetingTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		conn.Close()
		return nil, err
	}
	r := bufio.NewReaderSize(conn, 4096)
	greeting, err := readPacket(r)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("no greeting: %w", err)
	}
	if len(greeting) > 4 && greeting[4] == 0xff { // ERR packet, e.g. too many connections
		conn.Close()
		return nil, fmt.Errorf("server refused: %q", errorMessage(greeting))
	}
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, err
	}
	return &greetedConn{Conn: conn, r: r}, nil
}

// readPacket reads one MySQL packet (3-byte length, sequence number, payload)
// and returns it whole, header included.
func readPacket(r *bufio.Reader) ([]byte, error) {
	header, err := r.Peek(4)
	if err != nil {
		return nil, err
	}
	size := int(header[0]) | int(header[1])<<8 | int(header[2])<<16
	if size == 0 || size > r.Size()-4 {
		return nil, fmt.Errorf("unexpected first packet of %d bytes", size)
	}
	packet, err := r.Peek(4 + size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return packet, nil
}

// errorMessage is the text of an ERR packet: header, 0xff, 2-byte code, then
// the message (after a '#' and 5-byte SQL state on protocol 4.1 servers).
func errorMessage(packet []byte) string {
	if len(packet) < 7 {
		return ""
	}
	msg := packet[7:]
	if len(msg) > 6 && msg[0] == '#' {
		msg = msg[6:]
	}
	return string(msg)
}

// greetedConn hands the driver the greeting that was read ahead, then reads
// the connection directly, so nothing is ever left buffered here when the
// driver checks a pooled connection for liveness through SyscallConn.
type greetedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *greetedConn) Read(p []byte) (int, error) {
	if c.r.Buffered() > 0 {
		return c.r.Read(p)
	}
	return c.Conn.Read(p)
}

// SyscallConn exposes the socket, which the driver uses to notice a pooled
// connection that the server or a load balancer has closed before it sends a
// query on it (then database/sql retries on a fresh connection).
func (c *greetedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("not a socket")
	}
	return sc.SyscallConn()
}

// CloseWrite lets the driver half-close like on a plain TCP connection.
func (c *greetedConn) CloseWrite() error {
	if tc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return tc.CloseWrite()
	}
	return nil
}
