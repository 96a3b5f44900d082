package bench

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseCPUTicks reads utime+stime whatever the command name holds.
func TestParseCPUTicks(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       int64
		wantErr    bool
	}{
		{name: "plain", stat: "4628 (mariadbd) S 1 4628 4628 0 -1 4194624 12345 0 0 0 250 130 0 0 20 0 20 0 1234 5678 90\n", want: 380},
		{name: "name with spaces and parentheses", stat: "77 (a) (b c) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 2 3", want: 10},
		{name: "truncated", stat: "77 (x) R 1 77 77", wantErr: true},
		{name: "no command name", stat: "77 x R", wantErr: true},
		{name: "not a number", stat: "77 (x) R 1 77 77 0 -1 0 0 0 0 0 seven 3 0", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCPUTicks(tc.stat)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %d ticks, want %d", got, tc.want)
			}
		})
	}
}

// TestParseNetTCPLine reads listening sockets of /proc/net/tcp and tcp6.
func TestParseNetTCPLine(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		inode      uint64
		addr       string
		listening  bool
	}{
		{name: "IPv4 loopback", line: "   0: 0100007F:33E2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0",
			inode: 12345, addr: "127.0.0.1:13282", listening: true},
		{name: "IPv4 wildcard", line: "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0 100 0 0 10 0",
			inode: 777, addr: "0.0.0.0:8080", listening: true},
		{name: "IPv6 loopback", line: "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0",
			inode: 4242, addr: "[::1]:8080", listening: true},
		{name: "IPv4 mapped in tcp6", line: "   0: 0000000000000000FFFF00000100007F:23E3 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0",
			inode: 99, addr: "127.0.0.1:9187", listening: true},
		{name: "established", line: "   2: 0100007F:33E2 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 555 1 0 100 0 0 10 0"},
		{name: "header", line: "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inode, addr, listening := parseNetTCPLine(tc.line)
			if listening != tc.listening {
				t.Fatalf("listening %v, want %v", listening, tc.listening)
			}
			if !tc.listening {
				return
			}
			if inode != tc.inode || addr != netip.MustParseAddrPort(tc.addr) {
				t.Errorf("got inode %d at %s, want %d at %s", inode, addr, tc.inode, tc.addr)
			}
		})
	}
}

// fakeProc is a /proc with the processes a machine running the stack has,
// and another engineer's MariaDB and a test binary beside them.
type fakeProc struct {
	tb   testing.TB
	root string
}

func newFakeProc(tb testing.TB) *fakeProc {
	p := &fakeProc{tb: tb, root: tb.TempDir()}
	p.write("net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"+
		"   0: 0100007F:33FA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n"+ // 127.0.0.1:13306
		"   1: 0200007F:33FA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0\n"+ // 127.0.0.2:13306
		"   2: 0100007F:3FEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0\n"+ // 127.0.0.1:16363
		"   3: 00000000:66CB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0 100 0 0 10 0\n") // 0.0.0.0:26315
	p.process(10, "mariadbd\x00--defaults-file=my.cnf\x00", 100, 111)
	p.process(11, "/usr/sbin/mariadbd\x00", 1000, 222)
	p.process(20, "/srv/admit/bin/admit\x00serve\x00", 300)
	p.process(21, "admit-worker1\x00worker\x00", 40)
	p.process(22, "/tmp/go-build1/b001/admit.test\x00worker\x00", 5000)
	p.process(30, "redis-server 127.0.0.1:16363\x00", 60, 333)
	p.process(31, "redis-server *:26315 [sentinel]\x00", 70, 444)
	p.process(40, "node\x00-e\x00...\x00127.0.0.1\x0018005\x00/srv/node_modules/aws-ses-v2-local\x00", 80)
	p.process(99, "admit\x00bench\x00onsale\x00", 500)
	if err := os.Symlink("99", filepath.Join(p.root, "self")); err != nil {
		tb.Fatal(err)
	}
	return p
}

func (p *fakeProc) write(name, content string) {
	p.tb.Helper()
	path := filepath.Join(p.root, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.tb.Fatal(err)
	}
}

// process adds a process with its command line, CPU ticks (user; system
// is as much again) and the sockets it holds.
func (p *fakeProc) process(pid int, cmdline string, ticks int64, sockets ...int) {
	p.tb.Helper()
	dir := strconv.Itoa(pid)
	p.write(dir+"/cmdline", cmdline)
	p.setTicks(pid, ticks)
	if err := os.MkdirAll(filepath.Join(p.root, dir, "fd"), 0o755); err != nil {
		p.tb.Fatal(err)
	}
	for i, inode := range sockets {
		if err := os.Symlink("socket:["+strconv.Itoa(inode)+"]", filepath.Join(p.root, dir, "fd", strconv.Itoa(3+i))); err != nil {
			p.tb.Fatal(err)
		}
	}
	if err := os.Symlink("/dev/null", filepath.Join(p.root, dir, "fd", "0")); err != nil {
		p.tb.Fatal(err)
	}
}

func (p *fakeProc) setTicks(pid int, ticks int64) {
	t := strconv.FormatInt(ticks, 10)
	p.write(strconv.Itoa(pid)+"/stat", strconv.Itoa(pid)+" (x) S 1 1 1 0 -1 0 0 0 0 0 "+t+" "+t+" 0 0 20 0 1 0 1 2 3\n")
}

// TestCPUByComponent finds each component's processes by command line,
// narrowed to those listening where the component is known to, and turns
// the CPU ticks used between two readings into milliseconds per order.
func TestCPUByComponent(t *testing.T) {
	p := newFakeProc(t)
	components := Components([]string{"127.0.0.1:13306"}, nil, []string{"127.0.0.1:9191"}, []string{"127.0.0.1:16363"}, nil)
	before := &Reading{procs: readProcTimes(p.root, components)}

	p.setTicks(10, 150)  // mysqld: +100 ticks (user and system) = 1 s
	p.setTicks(11, 9999) // another MariaDB: must not count
	p.setTicks(20, 325)  // admit serve: +0.5 s
	p.setTicks(21, 45)   // admit worker: +0.1 s
	p.setTicks(22, 9999) // a test binary named admit.test: not the worker
	p.setTicks(30, 61)   // redis: +0.02 s
	p.setTicks(31, 9999) // a Sentinel: not the Redis the bench uses
	p.setTicks(40, 80)   // the SES emulator: idle
	p.setTicks(99, 600)  // the bench itself: +2 s
	after := &Reading{procs: readProcTimes(p.root, components)}

	got := cpuCost(before, after, components, 10)
	// The bench's own pid is this test's, not the fake one.
	for i := range got {
		if got[i].Name == "bench" {
			got[i].PIDs = nil
		}
	}
	want := []ProcessCPU{
		{Name: "mysqld", PIDs: []int{10}, FoundBy: "listening on 127.0.0.1:13306", Seconds: 1, MillisPerOrder: 100},
		{Name: "admit serve", PIDs: []int{20}, FoundBy: "command line", Seconds: 0.5, MillisPerOrder: 50},
		{Name: "admit worker", PIDs: []int{21}, FoundBy: "command line (none listening on 127.0.0.1:9191)", Seconds: 0.1, MillisPerOrder: 10},
		{Name: "SES emulator", PIDs: []int{40}, FoundBy: "command line", Seconds: 0, MillisPerOrder: 0},
		{Name: "redis", PIDs: []int{30}, FoundBy: "listening on 127.0.0.1:16363", Seconds: 0.02, MillisPerOrder: 2},
		{Name: "bench", FoundBy: "this process", Seconds: 2, MillisPerOrder: 200},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CPU by component (-want +got):\n%s", diff)
	}

	// No orders: no division by zero, the seconds still show.
	for _, c := range cpuCost(before, after, components, 0) {
		if c.MillisPerOrder != 0 {
			t.Errorf("%s: %v ms per order with no orders", c.Name, c.MillisPerOrder)
		}
	}
}

// TestCPUProcessGone: a process that exits or starts during the run is
// left out rather than counted from zero.
func TestCPUProcessGone(t *testing.T) {
	p := newFakeProc(t)
	components := Components(nil, nil, nil, nil, nil)
	before := &Reading{procs: readProcTimes(p.root, components)}
	if err := os.RemoveAll(filepath.Join(p.root, "20")); err != nil {
		t.Fatal(err)
	}
	p.process(23, "admit\x00serve\x00", 7000)
	after := &Reading{procs: readProcTimes(p.root, components)}
	for _, c := range cpuCost(before, after, components, 1) {
		if c.Name == "admit serve" {
			if len(c.PIDs) != 0 || c.Seconds != 0 {
				t.Errorf("admit serve: pids %v, %v s; want none (one exited, one started during the run)", c.PIDs, c.Seconds)
			}
			return
		}
	}
	t.Error("admit serve missing from the CPU figures")
}

// TestArgv0 strips directories and a rewritten process title.
func TestArgv0(t *testing.T) {
	for in, want := range map[string]string{"/usr/sbin/mariadbd": "mariadbd", "redis-server *:26379 [sentinel]": "redis-server", "admit-app1": "admit-app1"} {
		if got := argv0(strings.Split(in, "\x00")); got != want {
			t.Errorf("argv0(%q) = %q, want %q", in, got, want)
		}
	}
}
