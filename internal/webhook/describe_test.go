package webhook

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// TestDescribeRefusedConnection: an attempt on a port nobody listens on is
// told to the organizer as a refused connection, from the error's type,
// not its text.
func TestDescribeRefusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/hook")
	if err == nil {
		t.Fatal("a closed port answered")
	}
	if got, want := describe(err, time.Second), "Could not connect: connection refused."; got != want {
		t.Errorf("describe(%v) = %q, want %q", err, got, want)
	}
}
