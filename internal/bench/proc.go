package bench

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// clockTicks is Linux's USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat: 100 on every architecture Go supports on Linux.
const clockTicks = 100

// Component is a kind of process on this machine whose CPU time the bench
// reads from /proc (read-only: it never signals them).
type Component struct {
	Name string
	// Match reports whether a command line (argv) is this component's.
	Match func(argv []string) bool
	// Addrs are host:port addresses the component listens on, when known:
	// of the processes whose command line matches, only those listening on
	// one of them are counted (another engineer's server of the same kind
	// is not). When none listens there, every match is counted.
	Addrs []string
}

// argv0 is the program name of a command line, without its directory and
// without what a process that rewrites its title (redis-server) appends.
func argv0(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	name, _, _ := strings.Cut(argv[0], " ")
	return filepath.Base(name)
}

// admitCommand matches `admit <sub>`, also under the names the paired
// stack gives its processes (admit-app1, admit-worker2).
func admitCommand(sub string) func([]string) bool {
	return func(argv []string) bool {
		name := argv0(argv)
		return (name == "admit" || strings.HasPrefix(name, "admit-")) && len(argv) > 1 && argv[1] == sub
	}
}

// Components returns the processes the bench reads CPU time for: MySQL,
// the app servers, the workers, the SES emulator, Redis and HAProxy, each
// narrowed to the addresses given where known.
func Components(mysqlAddrs, appAddrs, workerAddrs, redisAddrs, frontAddrs []string) []Component {
	named := func(names ...string) func([]string) bool {
		return func(argv []string) bool { return slices.Contains(names, argv0(argv)) }
	}
	return []Component{
		{Name: "mysqld", Match: named("mariadbd", "mysqld"), Addrs: mysqlAddrs},
		{Name: "admit serve", Match: admitCommand("serve"), Addrs: appAddrs},
		{Name: "admit worker", Match: admitCommand("worker"), Addrs: workerAddrs},
		{Name: "SES emulator", Match: func(argv []string) bool {
			return slices.ContainsFunc(argv, func(a string) bool { return strings.Contains(a, "aws-ses-v2-local") })
		}},
		{Name: "redis", Match: named("redis-server"), Addrs: redisAddrs},
		{Name: "haproxy", Match: named("haproxy"), Addrs: frontAddrs},
	}
}

// procTimes is the CPU time (user plus system, in clock ticks) of the
// processes found for each component, by pid.
type procTimes struct {
	byComponent map[string]map[int]int64
	how         map[string]string // how the processes were found
	self        int64
}

// readProcTimes finds each component's processes under root (/proc) and
// reads their CPU time, and that of this process.
func readProcTimes(root string, components []Component) procTimes {
	t := procTimes{byComponent: map[string]map[int]int64{}, how: map[string]string{}}
	if ticks, err := readCPUTicks(filepath.Join(root, "self", "stat")); err == nil {
		t.self = ticks
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return t
	}
	self, _ := os.Readlink(filepath.Join(root, "self"))
	var listening map[uint64]netip.AddrPort // read only when a component needs it
	for _, c := range components {
		var matched []int
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || e.Name() == self {
				continue
			}
			b, err := os.ReadFile(filepath.Join(root, e.Name(), "cmdline"))
			if err != nil || len(b) == 0 {
				continue
			}
			if c.Match(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")) {
				matched = append(matched, pid)
			}
		}
		if len(matched) == 0 {
			continue
		}
		pids, how := matched, "command line"
		if len(c.Addrs) > 0 {
			if listening == nil {
				listening = listeningSockets(root)
			}
			var there []int
			for _, pid := range matched {
				if listensOn(root, pid, listening, c.Addrs) {
					there = append(there, pid)
				}
			}
			if len(there) > 0 {
				pids, how = there, "listening on "+strings.Join(c.Addrs, ", ")
			} else {
				how = "command line (none listening on " + strings.Join(c.Addrs, ", ") + ")"
			}
		}
		times := map[int]int64{}
		for _, pid := range pids {
			if ticks, err := readCPUTicks(filepath.Join(root, strconv.Itoa(pid), "stat")); err == nil {
				times[pid] = ticks
			}
		}
		t.byComponent[c.Name], t.how[c.Name] = times, how
	}
	return t
}

// readCPUTicks returns utime + stime from a /proc/<pid>/stat file.
func readCPUTicks(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseCPUTicks(string(b))
}

// parseCPUTicks reads utime and stime (fields 14 and 15) from the text of
// /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last
// closing one.
func parseCPUTicks(stat string) (int64, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("no command name in stat")
	}
	fields := strings.Fields(stat[end+1:])
	// fields[0] is field 3 (state): utime is field 14, stime field 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat has %d fields after the command name, want at least 13", len(fields))
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("stat utime/stime: %w", err)
	}
	return utime + stime, nil
}

// listeningSockets maps the inode of every listening TCP socket to its
// address, from /proc/net/tcp and tcp6.
func listeningSockets(root string) map[uint64]netip.AddrPort {
	out := map[uint64]netip.AddrPort{}
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(root, "net", name))
		if err != nil {
			continue
		}
		s := bufio.NewScanner(f)
		s.Scan() // header
		for s.Scan() {
			if inode, addr, ok := parseNetTCPLine(s.Text()); ok {
				out[inode] = addr
			}
		}
		f.Close()
	}
	return out
}

// parseNetTCPLine reads one line of /proc/net/tcp or tcp6 and reports the
// socket's inode and local address if it is listening (state 0A).
func parseNetTCPLine(line string) (inode uint64, addr netip.AddrPort, listening bool) {
	f := strings.Fields(line)
	if len(f) < 10 || f[3] != "0A" {
		return 0, netip.AddrPort{}, false
	}
	hexIP, hexPort, ok := strings.Cut(f[1], ":")
	if !ok {
		return 0, netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(hexIP)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return 0, netip.AddrPort{}, false
	}
	// The kernel prints the address as 32-bit words in host order (little
	// endian on every machine this runs on).
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	ip, _ := netip.AddrFromSlice(raw)
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return 0, netip.AddrPort{}, false
	}
	inode, err = strconv.ParseUint(f[9], 10, 64)
	if err != nil {
		return 0, netip.AddrPort{}, false
	}
	return inode, netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

// listensOn reports whether pid holds a listening socket on one of addrs
// (a wildcard listener, 0.0.0.0 or ::, listens on every host).
func listensOn(root string, pid int, listening map[uint64]netip.AddrPort, addrs []string) bool {
	fds, err := os.ReadDir(filepath.Join(root, strconv.Itoa(pid), "fd"))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(root, strconv.Itoa(pid), "fd", fd.Name()))
		if err != nil || !strings.HasPrefix(target, "socket:[") {
			continue
		}
		inode, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]"), 10, 64)
		if err != nil {
			continue
		}
		la, ok := listening[inode]
		if !ok {
			continue
		}
		for _, a := range addrs {
			if addrMatches(la, a) {
				return true
			}
		}
	}
	return false
}

func addrMatches(listener netip.AddrPort, want string) bool {
	host, portText, err := net.SplitHostPort(want)
	if err != nil {
		return false
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || uint16(port) != listener.Port() {
		return false
	}
	if listener.Addr().IsUnspecified() {
		return true
	}
	if host == "localhost" {
		return listener.Addr().IsLoopback()
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap() == listener.Addr()
}
