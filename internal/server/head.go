package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// headAsGet answers HEAD as GET is answered, without the body: uptime
// monitors and link checkers ask with HEAD, and echo routes only the
// methods registered, so every page would be 404 to them. The request is
// routed as GET (echo routes by the request it was handed, so the method
// is changed in place) and the body is counted, not sent, so the
// Content-Length is the one GET would send.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodHead {
			return next(c)
		}
		r.Method = http.MethodGet
		w := &headWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = w
		err := next(c)
		if err != nil {
			// The error handler renders into the same writer: let it,
			// then send what it decided.
			c.Echo().HTTPErrorHandler(err, c)
		}
		w.finish()
		return nil
	}
}

// headWriter holds back the status until the handler is done, so the
// length of the body it would have sent can go in the header.
type headWriter struct {
	http.ResponseWriter
	status  int
	written int
	flushed bool
}

func (w *headWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *headWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.written += len(p)
	return len(p), nil
}

// Flush sends the header of a streamed answer as soon as it is asked to.
func (w *headWriter) Flush() {
	w.finish()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *headWriter) finish() {
	if w.flushed {
		return
	}
	w.flushed = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.ResponseWriter.Header()
	if h.Get("Content-Length") == "" && w.written > 0 {
		h.Set("Content-Length", strconv.Itoa(w.written))
	}
	w.ResponseWriter.WriteHeader(w.status)
}
